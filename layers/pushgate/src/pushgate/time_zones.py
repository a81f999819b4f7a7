"""Recipients' time zones: IANA names, Windows time zone ids and Dataverse ``timezonecode`` numbers.

CI-J contacts carry their time zone the way Dataverse stores it: a ``timezonecode`` integer (the
Windows time zone index, ``110`` for W. Europe Standard Time) or, when exported through other tools,
the Windows id itself. Both map to an IANA zone here, through two tables kept as data:

* ``WINDOWS_TO_IANA``: the CLDR ``windowsZones.xml`` supplemental data (Unicode CLDR,
  ``common/supplemental/windowsZones.xml``), the "001" (golden zone) entry of every Windows id.
  Where CLDR names a zone by a backward-compatible alias (``Asia/Calcutta``), the canonical tzdb
  name (``Asia/Kolkata``) is used, so the table resolves on any tzdata build.
* ``DATAVERSE_TIME_ZONE_CODES``: Microsoft's time zone index values, which Dataverse's
  ``timezonecode`` (``TimeZoneDefinition.TimeZoneCode``) uses, each with the Windows id its
  ``StandardName`` is today (the index list spells some of them the Windows XP way, ``U.S. Mountain``
  for ``US Mountain``; those are mapped to the current id).

IANA names are the ones the pinned ``tzdata`` package lists (the same on every host, Lambda's
runtime included), ``Factory`` excepted. Anything else (a misspelt name, a code not in the table, a
host-only name such as ``localtime``) resolves to the app's default zone, and is refused where
clients set a zone.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Windows time zone id → IANA zone (CLDR windowsZones, territory 001).
WINDOWS_TO_IANA: Final[dict[str, str]] = {
    "Dateline Standard Time": "Etc/GMT+12",
    "UTC-11": "Etc/GMT+11",
    "Aleutian Standard Time": "America/Adak",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Marquesas Standard Time": "Pacific/Marquesas",
    "Alaskan Standard Time": "America/Anchorage",
    "UTC-09": "Etc/GMT+9",
    "Pacific Standard Time (Mexico)": "America/Tijuana",
    "UTC-08": "Etc/GMT+8",
    "Pacific Standard Time": "America/Los_Angeles",
    "US Mountain Standard Time": "America/Phoenix",
    "Mountain Standard Time (Mexico)": "America/Mazatlan",
    "Mountain Standard Time": "America/Denver",
    "Yukon Standard Time": "America/Whitehorse",
    "Central America Standard Time": "America/Guatemala",
    "Central Standard Time": "America/Chicago",
    "Easter Island Standard Time": "Pacific/Easter",
    "Central Standard Time (Mexico)": "America/Mexico_City",
    "Canada Central Standard Time": "America/Regina",
    "SA Pacific Standard Time": "America/Bogota",
    "Eastern Standard Time (Mexico)": "America/Cancun",
    "Eastern Standard Time": "America/New_York",
    "Haiti Standard Time": "America/Port-au-Prince",
    "Cuba Standard Time": "America/Havana",
    "US Eastern Standard Time": "America/Indiana/Indianapolis",
    "Turks And Caicos Standard Time": "America/Grand_Turk",
    "Paraguay Standard Time": "America/Asuncion",
    "Atlantic Standard Time": "America/Halifax",
    "Venezuela Standard Time": "America/Caracas",
    "Central Brazilian Standard Time": "America/Cuiaba",
    "SA Western Standard Time": "America/La_Paz",
    "Pacific SA Standard Time": "America/Santiago",
    "Newfoundland Standard Time": "America/St_Johns",
    "Tocantins Standard Time": "America/Araguaina",
    "E. South America Standard Time": "America/Sao_Paulo",
    "SA Eastern Standard Time": "America/Cayenne",
    "Argentina Standard Time": "America/Argentina/Buenos_Aires",
    "Greenland Standard Time": "America/Nuuk",
    "Montevideo Standard Time": "America/Montevideo",
    "Magallanes Standard Time": "America/Punta_Arenas",
    "Saint Pierre Standard Time": "America/Miquelon",
    "Bahia Standard Time": "America/Bahia",
    "UTC-02": "Etc/GMT+2",
    "Azores Standard Time": "Atlantic/Azores",
    "Cape Verde Standard Time": "Atlantic/Cape_Verde",
    "UTC": "Etc/UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "Sao Tome Standard Time": "Africa/Sao_Tome",
    "Morocco Standard Time": "Africa/Casablanca",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Romance Standard Time": "Europe/Paris",
    "Central European Standard Time": "Europe/Warsaw",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "Jordan Standard Time": "Asia/Amman",
    "GTB Standard Time": "Europe/Bucharest",
    "Middle East Standard Time": "Asia/Beirut",
    "Egypt Standard Time": "Africa/Cairo",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Syria Standard Time": "Asia/Damascus",
    "West Bank Standard Time": "Asia/Hebron",
    "South Africa Standard Time": "Africa/Johannesburg",
    "FLE Standard Time": "Europe/Kyiv",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Sudan Standard Time": "Africa/Juba",
    "Kaliningrad Standard Time": "Europe/Kaliningrad",
    "Sudan Standard Time": "Africa/Khartoum",
    "Libya Standard Time": "Africa/Tripoli",
    "Namibia Standard Time": "Africa/Windhoek",
    "Arabic Standard Time": "Asia/Baghdad",
    "Turkey Standard Time": "Europe/Istanbul",
    "Arab Standard Time": "Asia/Riyadh",
    "Belarus Standard Time": "Europe/Minsk",
    "Russian Standard Time": "Europe/Moscow",
    "E. Africa Standard Time": "Africa/Nairobi",
    "Iran Standard Time": "Asia/Tehran",
    "Arabian Standard Time": "Asia/Dubai",
    "Astrakhan Standard Time": "Europe/Astrakhan",
    "Azerbaijan Standard Time": "Asia/Baku",
    "Russia Time Zone 3": "Europe/Samara",
    "Mauritius Standard Time": "Indian/Mauritius",
    "Saratov Standard Time": "Europe/Saratov",
    "Georgian Standard Time": "Asia/Tbilisi",
    "Volgograd Standard Time": "Europe/Volgograd",
    "Caucasus Standard Time": "Asia/Yerevan",
    "Afghanistan Standard Time": "Asia/Kabul",
    "West Asia Standard Time": "Asia/Tashkent",
    "Ekaterinburg Standard Time": "Asia/Yekaterinburg",
    "Pakistan Standard Time": "Asia/Karachi",
    "Qyzylorda Standard Time": "Asia/Qyzylorda",
    "India Standard Time": "Asia/Kolkata",
    "Sri Lanka Standard Time": "Asia/Colombo",
    "Nepal Standard Time": "Asia/Kathmandu",
    "Central Asia Standard Time": "Asia/Bishkek",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "Omsk Standard Time": "Asia/Omsk",
    "Myanmar Standard Time": "Asia/Yangon",
    "SE Asia Standard Time": "Asia/Bangkok",
    "Altai Standard Time": "Asia/Barnaul",
    "W. Mongolia Standard Time": "Asia/Hovd",
    "North Asia Standard Time": "Asia/Krasnoyarsk",
    "N. Central Asia Standard Time": "Asia/Novosibirsk",
    "Tomsk Standard Time": "Asia/Tomsk",
    "China Standard Time": "Asia/Shanghai",
    "North Asia East Standard Time": "Asia/Irkutsk",
    "Singapore Standard Time": "Asia/Singapore",
    "W. Australia Standard Time": "Australia/Perth",
    "Taipei Standard Time": "Asia/Taipei",
    "Ulaanbaatar Standard Time": "Asia/Ulaanbaatar",
    "Aus Central W. Standard Time": "Australia/Eucla",
    "Transbaikal Standard Time": "Asia/Chita",
    "Tokyo Standard Time": "Asia/Tokyo",
    "North Korea Standard Time": "Asia/Pyongyang",
    "Korea Standard Time": "Asia/Seoul",
    "Yakutsk Standard Time": "Asia/Yakutsk",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "AUS Central Standard Time": "Australia/Darwin",
    "E. Australia Standard Time": "Australia/Brisbane",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "West Pacific Standard Time": "Pacific/Port_Moresby",
    "Tasmania Standard Time": "Australia/Hobart",
    "Vladivostok Standard Time": "Asia/Vladivostok",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "Bougainville Standard Time": "Pacific/Bougainville",
    "Russia Time Zone 10": "Asia/Srednekolymsk",
    "Magadan Standard Time": "Asia/Magadan",
    "Norfolk Standard Time": "Pacific/Norfolk",
    "Sakhalin Standard Time": "Asia/Sakhalin",
    "Central Pacific Standard Time": "Pacific/Guadalcanal",
    "Russia Time Zone 11": "Asia/Kamchatka",
    "New Zealand Standard Time": "Pacific/Auckland",
    "UTC+12": "Etc/GMT-12",
    "Fiji Standard Time": "Pacific/Fiji",
    "Chatham Islands Standard Time": "Pacific/Chatham",
    "UTC+13": "Etc/GMT-13",
    "Tonga Standard Time": "Pacific/Tongatapu",
    "Samoa Standard Time": "Pacific/Apia",
    "Line Islands Standard Time": "Pacific/Kiritimati",
}

#: Dataverse ``timezonecode`` (Microsoft time zone index value) → the Windows id it stands for.
DATAVERSE_TIME_ZONE_CODES: Final[dict[int, str]] = {
    0: "Dateline Standard Time",
    # Index 1 was "(GMT-11:00) Midway Island, Samoa", UTC-11 (Samoa itself moved to UTC+13 in 2011).
    1: "UTC-11",
    2: "Hawaiian Standard Time",
    3: "Alaskan Standard Time",
    4: "Pacific Standard Time",
    10: "Mountain Standard Time",
    13: "Mountain Standard Time (Mexico)",
    15: "US Mountain Standard Time",
    20: "Central Standard Time",
    25: "Canada Central Standard Time",
    30: "Central Standard Time (Mexico)",
    33: "Central America Standard Time",
    35: "Eastern Standard Time",
    40: "US Eastern Standard Time",
    45: "SA Pacific Standard Time",
    50: "Atlantic Standard Time",
    55: "SA Western Standard Time",
    56: "Pacific SA Standard Time",
    60: "Newfoundland Standard Time",
    65: "E. South America Standard Time",
    70: "SA Eastern Standard Time",
    73: "Greenland Standard Time",
    # Index 75 was "Mid-Atlantic" (UTC-02, no daylight saving today).
    75: "UTC-02",
    80: "Azores Standard Time",
    83: "Cape Verde Standard Time",
    85: "GMT Standard Time",
    90: "Greenwich Standard Time",
    95: "Central Europe Standard Time",
    100: "Central European Standard Time",
    105: "Romance Standard Time",
    110: "W. Europe Standard Time",
    113: "W. Central Africa Standard Time",
    115: "E. Europe Standard Time",
    120: "Egypt Standard Time",
    125: "FLE Standard Time",
    130: "GTB Standard Time",
    135: "Israel Standard Time",
    140: "South Africa Standard Time",
    145: "Russian Standard Time",
    150: "Arab Standard Time",
    155: "E. Africa Standard Time",
    158: "Arabic Standard Time",
    160: "Iran Standard Time",
    165: "Arabian Standard Time",
    170: "Caucasus Standard Time",
    175: "Afghanistan Standard Time",
    180: "Ekaterinburg Standard Time",
    185: "West Asia Standard Time",
    190: "India Standard Time",
    193: "Nepal Standard Time",
    195: "Central Asia Standard Time",
    200: "Sri Lanka Standard Time",
    201: "N. Central Asia Standard Time",
    203: "Myanmar Standard Time",
    205: "SE Asia Standard Time",
    207: "North Asia Standard Time",
    210: "China Standard Time",
    215: "Singapore Standard Time",
    220: "Taipei Standard Time",
    225: "W. Australia Standard Time",
    227: "North Asia East Standard Time",
    230: "Korea Standard Time",
    235: "Tokyo Standard Time",
    240: "Yakutsk Standard Time",
    245: "AUS Central Standard Time",
    250: "Cen. Australia Standard Time",
    255: "AUS Eastern Standard Time",
    260: "E. Australia Standard Time",
    265: "Tasmania Standard Time",
    270: "Vladivostok Standard Time",
    275: "West Pacific Standard Time",
    280: "Central Pacific Standard Time",
    285: "Fiji Standard Time",
    290: "New Zealand Standard Time",
    300: "Tonga Standard Time",
}

#: The zone used when an app sets no default.
DEFAULT_TIME_ZONE: Final = "UTC"


#: Names in tzdata's list that are no place's zone: ``Factory`` is its "time zone not set" placeholder.
_NOT_ZONES: Final = frozenset({"Factory"})


@cache
def _iana_names() -> frozenset[str]:
    # The pinned tzdata package's list, not ``available_timezones()``: that adds whatever this
    # machine's /usr/share/zoneinfo holds (``localtime``, ``posixrules``, zones of a newer or older
    # release), so what a request may store would depend on the host it lands on.
    listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(listed) - _NOT_ZONES


@cache
def _windows_ids() -> dict[str, str]:
    # Windows ids are matched without regard to case: exports spell them inconsistently.
    return {name.casefold(): zone for name, zone in WINDOWS_TO_IANA.items()}


def iana_name(value: str | int | None) -> str | None:
    """The IANA zone a directory value names, or ``None`` when it names none this table knows.

    Accepts an IANA name (``Europe/Paris``), a Windows id (``W. Europe Standard Time``, any case) or
    a Dataverse ``timezonecode`` (``110`` or ``"110"``).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        windows = DATAVERSE_TIME_ZONE_CODES.get(value)
        return WINDOWS_TO_IANA[windows] if windows else None
    text = value.strip()
    if not text:
        return None
    if text in _iana_names():
        return text
    if text.isdigit():
        return iana_name(int(text))
    return _windows_ids().get(text.casefold())


@cache
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` of an IANA name this module returned (cached: zones are immutable)."""
    return ZoneInfo(name)


def resolve_zone(value: str | int | None, default: str = DEFAULT_TIME_ZONE) -> ZoneInfo:
    """A recipient's zone: the one their attribute names, or ``default`` when it names none."""
    name = iana_name(value) or iana_name(default) or DEFAULT_TIME_ZONE
    try:
        return zone(name)
    except ZoneInfoNotFoundError:  # a tzdata build without the zone: the default is still right
        return zone(DEFAULT_TIME_ZONE)
