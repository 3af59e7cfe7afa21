"""The portal's building blocks: its vocabulary, time, tokens, encryption, logging, errors.

Core imports nothing of the portal but `portal.extensions`; every other package may import it.
"""
