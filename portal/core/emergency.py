"""Emergency and crisis numbers by the country of the client's confirmed location, the one table
the safety panel and the waiting room read (the number used to be a hard-coded "911").

Sources (checked December 2026; re-check when editing a row):
- US 911: FCC, https://www.fcc.gov/general/9-1-1-and-e9-1-1-services
- US 988 Suicide & Crisis Lifeline (call or text): https://988lifeline.org
- US Crisis Text Line, text HOME to 741741: https://www.crisistextline.org
- CA 911: CRTC, https://crtc.gc.ca/eng/phone/911/
- CA 988 Suicide Crisis Helpline (call or text, since 30 Nov 2023): https://988.ca
  (741741 is the US short code; Canada's Crisis Text Line number differs, so it is not listed)
- GB 999 (112 also works): https://www.gov.uk/guidance/999-and-112-the-uks-national-emergency-numbers
- GB NHS 111 (urgent, not life-threatening): https://www.nhs.uk/nhs-services/urgent-and-emergency-care-services/when-to-use-111/
- GB Samaritans 116 123 (free, 24/7): https://www.samaritans.org
- EU/EEA and Switzerland 112: European Commission, https://digital-strategy.ec.europa.eu/en/policies/112
- AU 000: https://www.triplezero.gov.au ; Lifeline 13 11 14: https://www.lifeline.org.au
Anywhere else the panel says "your local emergency number" rather than guess.
"""
import re

LOCAL_TEXT = "your local emergency number"


def _n(label, number, kind="call", body=None):
    entry = {"label": label, "number": number, "tel": re.sub(r"\D", "", number), "kind": kind}
    if body:
        entry["body"] = body
    return entry


_US_CA_EMERGENCY = _n("Emergency services", "911")
NUMBERS = {
    "US": [_US_CA_EMERGENCY, _n("988 Suicide & Crisis Lifeline", "988", "call_or_text"),
           _n("Crisis Text Line", "741741", "text", body="HOME")],
    "CA": [_US_CA_EMERGENCY, _n("988 Suicide Crisis Helpline", "988", "call_or_text")],
    "GB": [_n("Emergency services", "999"), _n("NHS 111 (urgent, not life-threatening)", "111"),
           _n("Samaritans", "116 123")],
    "AU": [_n("Emergency services", "000"), _n("Lifeline", "13 11 14")],
}
EU_112 = {  # the EU's 27, the other EEA states and Switzerland: 112 everywhere
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus",
    "CZ": "Czechia", "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France",
    "DE": "Germany", "GR": "Greece", "HU": "Hungary", "IE": "Ireland", "IT": "Italy",
    "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg", "MT": "Malta", "NL": "Netherlands",
    "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SK": "Slovakia", "SI": "Slovenia",
    "ES": "Spain", "SE": "Sweden", "IS": "Iceland", "LI": "Liechtenstein", "NO": "Norway",
    "CH": "Switzerland",
}
for _code in EU_112:
    NUMBERS[_code] = [_n("Emergency services", "112")]
COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom",
                 "AU": "Australia", **EU_112}


def emergency_for(country):
    """What to call from `country` (ISO 3166 alpha-2, any case, or None): the payload of the
    safety panel and the room's data-emergency attribute (/work/briefs/room-contract.md)."""
    code = (country or "").strip().upper()
    numbers = NUMBERS.get(code)
    if numbers is None:
        return {"country": None, "country_name": None, "primary": None,
                "local_text": LOCAL_TEXT, "numbers": []}
    return {"country": code, "country_name": COUNTRY_NAMES[code], "primary": numbers[0]["number"],
            "local_text": LOCAL_TEXT, "numbers": [dict(n) for n in numbers]}


def country_choices():
    """(code, name) for the location form's select: the countries with a row, by name."""
    return sorted(COUNTRY_NAMES.items(), key=lambda item: item[1])


# --- the country of a typed location, when the form's country was not given -------------------
_US = ("alabama al alaska ak arizona az arkansas ar california ca colorado co connecticut ct "
       "delaware de florida fl georgia ga hawaii hi idaho id illinois il indiana in iowa ia "
       "kansas ks kentucky ky louisiana la maine me maryland md massachusetts ma michigan mi "
       "minnesota mn mississippi ms missouri mo montana mt nebraska ne nevada nv "
       "new_hampshire nh new_jersey nj new_mexico nm new_york ny north_carolina nc "
       "north_dakota nd ohio oh oklahoma ok oregon or pennsylvania pa rhode_island ri "
       "south_carolina sc south_dakota sd tennessee tn texas tx utah ut vermont vt virginia va "
       "washington wa west_virginia wv wisconsin wi wyoming wy dc district_of_columbia "
       "washington_dc usa us u.s. u.s.a. united_states united_states_of_america america")
_CA = ("alberta ab british_columbia bc manitoba mb new_brunswick nb newfoundland "
       "newfoundland_and_labrador nl nova_scotia ns ontario on prince_edward_island pe quebec "
       "qc québec saskatchewan sk yukon yt northwest_territories nunavut nu canada")
_GB = "uk u.k. united_kingdom great_britain britain england scotland wales northern_ireland gb"
_AU = ("australia new_south_wales victoria queensland western_australia south_australia "
       "tasmania australian_capital_territory nsw qld tas")
PLACES = {word.replace("_", " "): code
          for code, words in (("US", _US), ("CA", _CA), ("GB", _GB), ("AU", _AU))
          for word in words.split()}
PLACES.update({name.lower(): code for code, name in EU_112.items()})
PLACES.update({"deutschland": "DE", "españa": "ES", "italia": "IT", "nederland": "NL",
               "the netherlands": "NL", "holland": "NL", "österreich": "AT", "schweiz": "CH",
               "suisse": "CH", "sverige": "SE", "norge": "NO", "danmark": "DK", "éire": "IE"})


def _lookup(words):
    name = " ".join(words)
    return PLACES.get(name) or PLACES.get(name.strip("."))


def country_from_text(text):
    """A best guess at the country of a typed location ("Portland, OR 97201" → "US"), read
    from its last comma-separated parts backwards; None when nothing is recognised. Short
    codes ("OR", "WA", "NSW") count only as a part's last word, so that "de" or "la" inside a
    street name is no Delaware or Louisiana."""
    parts = [p for p in re.split(r"[,\n;]", (text or "").lower()) if p.strip()]
    for part in reversed(parts[-3:]):
        words = [w.strip("()#") for w in part.split() if not re.search(r"\d", w)]
        if words and len(words[-1].strip(".")) <= 3 and _lookup(words[-1:]):
            return _lookup(words[-1:])
        for size in (4, 3, 2, 1):  # the longest name nearest the end of the part first
            for start in range(len(words) - size, -1, -1):
                chosen = words[start:start + size]
                if size == 1 and len(chosen[0].strip(".")) <= 3:
                    continue
                if _lookup(chosen):
                    return _lookup(chosen)
    return None
