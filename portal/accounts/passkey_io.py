"""The passkey endpoints' JSON: a JSON object in; the browser's options, or where to go next,
out; and on refusal `{"error": {status, title, message, field}}` with a plain message that the
page shows next to `field` (or by the button), never a 500."""
from flask import Response, jsonify, request
from werkzeug.datastructures import MultiDict

TEXT_FIELDS = ("name", "current", "next")
NOT_ADDED = ("We could not add that passkey. Please try again; if it keeps failing, use another "
             "device or security key.")


def body():
    """The request's JSON object ({} when it is not one)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def form_data(data):
    """The text fields of `data`, for a WTForms form (anything not a string is left out)."""
    return MultiDict({k: data[k] for k in TEXT_FIELDS if isinstance(data.get(k), str)})


def options(options_json):
    """The options for navigator.credentials, as py_webauthn wrote them."""
    return Response(options_json, mimetype="application/json")


def go_to(url):
    return jsonify(redirect=url)


def refused(message, status=400, field=None, title="That did not work"):
    return jsonify(error={"status": status, "title": title, "message": message,
                          "field": field}), status


def form_refused(form):
    """The first error of a form, on its field."""
    name, errors = next(iter(form.errors.items()))
    return refused(errors[0], field=name)
