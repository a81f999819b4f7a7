"""The directory services with in-memory repositories: attributes, $filter, import, resolve, erase."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from pushgate.adapters.dynamodb import keys
from pushgate.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, UnauthorizedError
from pushgate.models.directory import AppUserLink, EntityType, Person, lookup_digest, lookup_values
from pushgate.models.mobile_app import MobileApp
from pushgate.services.directory import directory, user_mapping
from pushgate.services.directory.person_attributes import canonical_client_id, parse_attributes
from pushgate.services.directory.person_filters import parse_person_filter
from tests.fakes.stores import FakeOrgs

ORG = str(uuid.uuid4())
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONTACT = EntityType.CONTACT


class FakePeople:
    """People and their lookups in dicts, with the revision check of the real adapter."""

    def __init__(self) -> None:
        self.people: dict[tuple[str, EntityType, str], Person] = {}
        self.lookups: dict[tuple[str, str, str], set[tuple[EntityType, str]]] = {}
        self.conflicts_to_raise = 0
        self._lock = threading.Lock()

    def get(self, org_id: str, entity_type: EntityType, person_id: str) -> Person | None:
        return self.people.get((org_id, entity_type, person_id))

    def get_many(self, org_id: str, refs: Sequence[tuple[EntityType, str]]) -> list[Person]:
        return [p for t, i in refs if (p := self.people.get((org_id, t, i))) is not None]

    def list_page(
        self, org_id: str, entity_type: EntityType, *, limit: int, after_id: str | None
    ) -> tuple[list[Person], bool]:
        ordered = sorted(
            (p for (o, t, i), p in self.people.items() if o == org_id and t is entity_type and i > (after_id or "")),
            key=lambda p: p.person_id,
        )
        return ordered[:limit], len(ordered) > limit

    def read_page(
        self, org_id: str, entity_type: EntityType, *, after_id: str | None, limit: int
    ) -> tuple[list[Person], str | None]:
        page, more = self.list_page(org_id, entity_type, limit=limit, after_id=after_id)
        return page, (page[-1].person_id if more and page else None)

    def find_by_lookup(
        self, org_id: str, field: str, normalised_value: str, entity_type: EntityType | None
    ) -> list[tuple[EntityType, str]]:
        found = self.lookups.get((org_id, field, lookup_digest(normalised_value)), set())
        return sorted(ref for ref in found if entity_type is None or ref[0] is entity_type)

    def _index(self, person: Person, add: bool) -> None:
        for field, value in lookup_values(person.attributes).items():
            refs = self.lookups.setdefault((person.org_id, field, lookup_digest(value)), set())
            (refs.add if add else refs.discard)((person.entity_type, person.person_id))

    def save(self, person: Person, *, previous: Person | None) -> None:
        with self._lock:
            if self.conflicts_to_raise:
                self.conflicts_to_raise -= 1
                raise ConflictError(message="changed")
            current = self.people.get((person.org_id, person.entity_type, person.person_id))
            if (current.revision if current else None) != (previous.revision if previous else None):
                raise ConflictError(message="changed")
            if current is not None:
                self._index(current, add=False)
            self.people[(person.org_id, person.entity_type, person.person_id)] = person
            self._index(person, add=True)

    def delete(self, person: Person) -> int:
        self.people.pop((person.org_id, person.entity_type, person.person_id))
        self._index(person, add=False)
        return len(lookup_values(person.attributes))

    @contextmanager
    def many_writes(self, org_id: str) -> Iterator[FakePeople]:
        yield self


class FakeLinks:
    def __init__(self) -> None:
        self.links: dict[tuple[str, str, str], AppUserLink] = {}

    def get(self, org_id: str, app_id: str, app_user_id: str) -> AppUserLink | None:
        return self.links.get((org_id, app_id, app_user_id))

    def save(self, link: AppUserLink, *, previous: AppUserLink | None) -> None:
        self.links[(link.org_id, link.app_id, link.app_user_id)] = link

    def delete(self, link: AppUserLink) -> None:
        self.links.pop((link.org_id, link.app_id, link.app_user_id))

    def delete_for_person(self, org_id: str, entity_type: EntityType, person_id: str) -> int:
        doomed = [
            k
            for k, v in self.links.items()
            if (v.org_id, v.entity_type, v.entity_id) == (org_id, entity_type, person_id)
        ]
        for key in doomed:
            del self.links[key]
        return len(doomed)


class FakeAuthenticator:
    def __init__(self, app: MobileApp) -> None:
        self.app = app

    def authenticate(self, org_id: str, app_id: str, api_token: str) -> MobileApp:
        if (org_id, app_id, api_token) != (self.app.org_id, self.app.app_id, "good"):
            raise UnauthorizedError(message="no")
        return self.app


@pytest.fixture
def people() -> FakePeople:
    return FakePeople()


@pytest.fixture
def stores(people: FakePeople) -> directory.DirectoryStores:
    return directory.DirectoryStores(orgs=FakeOrgs(ORG, created_at=NOW), people=people)


def _app(*, resolve: bool = True) -> MobileApp:
    return MobileApp(
        org_id=ORG,
        app_id=str(uuid.uuid4()),
        name="a",
        description="",
        created_at=NOW,
        updated_at=NOW,
        user_resolve_enabled=resolve,
    )


# ------------------------------------------------------------------------------------------ attributes


def test_attributes_are_normalised() -> None:
    attributes = parse_attributes(
        {
            "firstname": " Ann ",
            "lastname": "Lee",
            "emailaddress1": "Ann@Example.COM",
            "mobilephone": "+44 7911 123456",
            "locale": "ZH_hant_tw",
            "timezone": "Asia/Taipei",
            "address1_city": "",
            "createdon": "ignored",
            "contactid": "ignored",
        },
        CONTACT,
    )
    assert attributes.fullname == "Ann Lee"
    assert attributes.emailaddress1 == "Ann@Example.COM"
    assert attributes.mobilephone == "+447911123456"
    assert attributes.locale == "zh-Hant-TW"
    assert attributes.address1_city is None
    assert lookup_values(attributes) == {"EMAIL": "ann@example.com", "MOBILEPHONE": "+447911123456"}


def test_every_attribute_problem_is_reported_at_once_with_its_path() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        parse_attributes(
            {"emailaddress1": "x@", "mobilephone": 5, "timezone": "Nowhere/Land", "leadid": "x"},
            CONTACT,
            prefix="Items[2]",
        )
    assert {p.field for p in raised.value.problems} == {
        "Items[2].emailaddress1",
        "Items[2].mobilephone",
        "Items[2].timezone",
        "Items[2].leadid",
    }


def test_patch_merges_clears_and_recomputes_the_full_name() -> None:
    base = parse_attributes(
        {"firstname": "Ann", "lastname": "Lee", "pushconsent": False, "fullname": "Dr Ann Lee"}, CONTACT
    )
    assert base.fullname == "Dr Ann Lee"
    assert parse_attributes({"trackingconsent": True}, CONTACT, base=base).fullname == "Dr Ann Lee"
    patched = parse_attributes({"lastname": "Kim", "pushconsent": None}, CONTACT, base=base)
    assert patched.fullname == "Ann Kim"
    assert patched.pushconsent is True


@pytest.mark.parametrize("bad", ["", "a#b", "a/b", "-leading", "x" * 129, "spa ce"])
def test_client_ids_must_be_safe_key_components(bad: str) -> None:
    with pytest.raises(InvalidRequestError):
        canonical_client_id(bad, "contactid")


def test_uuid_ids_are_canonicalised() -> None:
    assert canonical_client_id("3F2B8C1E7A4D4E2B9C5F1D8E6A7B9C20", "id") == "3f2b8c1e-7a4d-4e2b-9c5f-1d8e6a7b9c20"
    assert canonical_client_id("crm:00123@eu", "id") == "crm:00123@eu"


# ------------------------------------------------------------------------------------------ $filter


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("lastname eq 'a' or", "position 18"),
        ("lastname eq 'a' and (", "position 21"),
        ("tolower(lastname) eq 'a'", "function 'tolower'"),
        ("lastname eq 1", "compares with a quoted string"),
        ("shoesize eq '42'", "unknown attribute 'shoesize' at position 0"),
        ("emailaddress1 eq 'not-an-email'", "position 0"),
        ("x" * 2001, "longer than 2000"),
    ],
)
def test_filter_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message) as raised:
        parse_person_filter(text, CONTACT)
    assert raised.value.problems[0].field == "$filter"


def test_filter_literals_take_the_stored_form() -> None:
    # A phone in a national spelling matches its E.164 form; an email any case.
    parsed = parse_person_filter("mobilephone eq '+1 (425) 555-0100' or emailaddress1 eq 'A@Example.COM'", CONTACT)
    person = Person(
        org_id=ORG,
        entity_type=CONTACT,
        person_id="p1",
        attributes=parse_attributes({"mobilephone": "+14255550100"}, CONTACT),
        created_at=NOW,
        modified_at=NOW,
    )
    assert parsed.matches(person)
    assert not parsed.matches(person.model_copy(update={"entity_type": EntityType.LEAD}))


# ------------------------------------------------------------------------------------------ services


def test_upsert_retries_a_concurrent_change_then_gives_up(
    people: FakePeople, stores: directory.DirectoryStores
) -> None:
    people.conflicts_to_raise = 1
    person, outcome = directory.write_person(ORG, CONTACT, "p1", {"firstname": "A"}, stores=stores, now=lambda: NOW)
    assert outcome is directory.WriteOutcome.CREATED and person.revision == 1

    people.conflicts_to_raise = directory.WRITE_ATTEMPTS
    with pytest.raises(ConflictError):
        directory.write_person(ORG, CONTACT, "p1", {"firstname": "B"}, stores=stores, now=lambda: NOW)
    assert directory.get_person(ORG, CONTACT, "p1", stores=stores).attributes.firstname == "A"


def test_import_of_a_thousand_items_and_again_changes_nothing(stores: directory.DirectoryStores) -> None:
    items = [{"contactid": f"c{n}", "emailaddress1": f"c{n}@example.com"} for n in range(1000)]

    first = directory.import_people(ORG, CONTACT, items, stores=stores)
    again = directory.import_people(ORG, CONTACT, items, stores=stores)

    assert {r.outcome for r in first} == {directory.WriteOutcome.CREATED}
    assert {r.outcome for r in again} == {directory.WriteOutcome.UNCHANGED}
    assert [r.index for r in first] == list(range(1000))
    with pytest.raises(InvalidRequestError, match="at most 1000"):
        directory.import_people(ORG, CONTACT, [*items, {}], stores=stores)


def test_query_answers_from_lookups_and_pages_by_id(stores: directory.DirectoryStores) -> None:
    for n in range(5):
        directory.write_person(
            ORG, CONTACT, f"p{n}", {"emailaddress1": "same@example.com", "lastname": f"L{n % 2}"}, stores=stores
        )

    page = directory.query_people(
        ORG,
        CONTACT,
        {"$filter": "emailaddress1 eq 'SAME@example.com' and lastname eq 'l0'", "$top": "2"},
        stores=stores,
    )
    assert [p.person_id for p in page.people] == ["p0", "p2"]
    rest = directory.query_people(
        ORG,
        CONTACT,
        {
            "$filter": "emailaddress1 eq 'same@example.com' and lastname eq 'l0'",
            "$skiptoken": page.next_skiptoken or "",
        },
        stores=stores,
    )
    assert [p.person_id for p in rest.people] == ["p4"] and rest.next_skiptoken is None


def test_query_without_an_indexed_equality_reads_pages_of_people(
    stores: directory.DirectoryStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(7):
        directory.write_person(ORG, CONTACT, f"p{n}", {"lastname": f"L{n % 2}"}, stores=stores)
    monkeypatch.setattr(directory, "SCAN_PAGE_SIZE", 2)

    first = directory.query_people(ORG, CONTACT, {"$filter": "lastname eq 'l0'", "$top": "2"}, stores=stores)
    assert [p.person_id for p in first.people] == ["p0", "p2"] and first.next_skiptoken
    rest = directory.query_people(
        ORG, CONTACT, {"$filter": "lastname eq 'l0'", "$skiptoken": first.next_skiptoken}, stores=stores
    )
    assert [p.person_id for p in rest.people] == ["p4", "p6"] and rest.next_skiptoken is None

    # A sparse filter stops at the read budget and hands a $skiptoken after the last person read.
    monkeypatch.setattr(directory, "MAX_SCANNED_PER_REQUEST", 4)
    sparse = directory.query_people(ORG, CONTACT, {"$filter": "startswith(lastname,'L1')"}, stores=stores)
    assert [p.person_id for p in sparse.people] == ["p1", "p3"] and sparse.next_skiptoken
    more = directory.query_people(
        ORG, CONTACT, {"$filter": "startswith(lastname,'L1')", "$skiptoken": sparse.next_skiptoken}, stores=stores
    )
    assert [p.person_id for p in more.people] == ["p5"] and more.next_skiptoken is None


def test_resolve_precedence_ambiguity_and_switch(people: FakePeople, stores: directory.DirectoryStores) -> None:
    app = _app()
    links = FakeLinks()

    def resolve(target: MobileApp = app, **identifier: str) -> user_mapping.ResolvedUser:
        args: dict[str, str | None] = {"email": None, "phone": None, "app_user_id": None, **identifier}
        return user_mapping.resolve_user(
            ORG,
            app_id=target.app_id,
            api_token="good",
            authenticator=FakeAuthenticator(target),
            people=people,
            links=links,
            **args,
        )

    directory.write_person(ORG, EntityType.PROFILE, "pr", {"telephone1": "+14255550100"}, stores=stores)
    directory.write_person(ORG, EntityType.LEAD, "ld", {"telephone1": "+14255550100"}, stores=stores)
    assert resolve(phone="+1 425 555 0100") == user_mapping.ResolvedUser("ld", EntityType.LEAD)
    directory.write_person(ORG, EntityType.PROFILE, "pm", {"mobilephone": "+14255550100"}, stores=stores)
    assert resolve(phone="+14255550100") == user_mapping.ResolvedUser("pm", EntityType.PROFILE)
    directory.write_person(ORG, EntityType.PROFILE, "pm2", {"mobilephone": "+14255550100"}, stores=stores)
    with pytest.raises(ConflictError):
        resolve(phone="+14255550100")
    with pytest.raises(NotFoundError):
        resolve(email="nobody@example.com")
    with pytest.raises(InvalidRequestError):
        resolve(email="a@example.com", app_user_id="u")
    with pytest.raises(ForbiddenError):
        resolve(_app(resolve=False), email="a@example.com")


class RecordingEraser:
    """Stands in for a later eraser (devices, interactions): one line in deps adds the real one."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, EntityType, str]] = []

    def erase(self, org_id: str, entity_type: EntityType, person_id: str) -> Mapping[str, int]:
        self.calls.append((org_id, entity_type, person_id))
        return {"Devices": 3}


def test_erase_runs_every_eraser_and_reports_per_kind(people: FakePeople, stores: directory.DirectoryStores) -> None:
    links = FakeLinks()
    directory.write_person(
        ORG, CONTACT, "p1", {"emailaddress1": "p1@example.com", "mobilephone": "+14255550100"}, stores=stores
    )
    links.links[(ORG, "app", "u1")] = AppUserLink(
        org_id=ORG, app_id="app", app_user_id="u1", entity_type=CONTACT, entity_id="p1", created_at=NOW, modified_at=NOW
    )
    later = RecordingEraser()
    erasers = (user_mapping.DirectoryRecordEraser(people), user_mapping.AppUserLinkEraser(links), later)

    report = user_mapping.erase_person(ORG, CONTACT, "p1", directory=stores, erasers=erasers)

    assert report.removed == {"DirectoryRecord": 1, "LookupEntries": 2, "AppUserLinks": 1, "Devices": 3}
    assert later.calls == [(ORG, CONTACT, "p1")]
    assert people.people == {} and links.links == {}
    assert all(not refs for refs in people.lookups.values())


def test_directory_key_layouts() -> None:
    assert keys.person_key(ORG, "contact", "p1").as_dict() == {"pk": f"ORG#{ORG}", "sk": "PERSON#contact#p1"}
    assert keys.person_lookup_key(ORG, "EMAIL", "ab12", "lead", "l1").as_dict() == {
        "pk": f"LOOKUP#{ORG}#EMAIL#ab12",
        "sk": "PERSON#lead#l1",
    }
    assert keys.app_user_link_key(ORG, "app", "u@x").sk == "APPUSER#app#u@x"
    assert keys.person_link_key(ORG, "contact", "p1", "app", "u").sk == "PERSONLINK#contact#p1#app#u"
    assert keys.person_links_prefix("contact", "p1") == "PERSONLINK#contact#p1#"
    with pytest.raises(ValueError, match="invalid key component"):
        keys.person_key(ORG, "contact", "p#1")
