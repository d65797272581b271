#!/usr/bin/env python3
"""Compatibility check: HighLevel's official Python SDK (gohighlevel-api-client 3.0.0),
unchanged, against our API v2 (SPEC §7).

env: GHL_BASE_URL           e.g. http://127.0.0.1:8080/v2
     GHL_TOKEN              token with all scopes (contacts, locations, custom fields, tags, users)
     GHL_TOKEN_NO_CONTACTS  valid token lacking contacts.write (for the 403)
     GHL_LOCATION_ID        the account id (HighLevel's locationId / companyId)
     GHL_SDK_LOG_LEVEL      optional, SDK log level (default "none")

Install: pip install gohighlevel-api-client==3.0.0   (Python >= 3.8)

Prints "ok <step>" per step; exits 1 with "FAIL <step>: ..." at the first failure.
Never prints a token. (Careful: the SDK's GHLError.request holds the request
headers *unredacted*, Authorization included; this script never prints it.)

SDK 3.0.0 has no method for GET /contacts/ (list) nor GET /users/?locationId=,
so those two go through the SDK's own client, `HighLevel.request()` (same
httpx client, default headers, auth and error hook as every SDK method).
"""
import asyncio
import json
import os
import random
import sys
import time

EXPECTED_SDK_VERSION = "3.0.0"
API_VERSION = "2021-07-28"


def env(name):
    v = os.environ.get(name)
    if not v:
        print("FAIL setup: environment variable %s is not set" % name, file=sys.stderr)
        sys.exit(2)
    return v


BASE_URL = env("GHL_BASE_URL").rstrip("/")
TOKEN = env("GHL_TOKEN")
TOKEN_NO_CONTACTS = env("GHL_TOKEN_NO_CONTACTS")
LOCATION_ID = env("GHL_LOCATION_ID")
LOG_LEVEL = os.environ.get("GHL_SDK_LOG_LEVEL") or "none"
SECRETS = [t for t in (TOKEN, TOKEN_NO_CONTACTS) if t and len(t) >= 4]


def scrub(s):
    s = str(s)
    for t in SECRETS:
        s = s.replace(t, "***")
    return s


try:
    from importlib.metadata import version as _pkg_version
    from highlevel import HighLevel, GHLError
except Exception as e:  # pragma: no cover
    print("FAIL setup: cannot import the SDK (%s); install it with: "
          "pip install gohighlevel-api-client==%s" % (e, EXPECTED_SDK_VERSION), file=sys.stderr)
    sys.exit(2)


class LocalHighLevel(HighLevel):
    """The SDK hard-codes services.leadconnectorhq.com and Version "v3"; both are class attributes."""
    BASE_URL = BASE_URL
    API_VERSION = API_VERSION


class CheckFailure(Exception):
    pass


_step = ["setup"]


def check(cond, msg):
    if not cond:
        raise CheckFailure(msg)


def describe(v):
    try:
        s = json.dumps(v)
    except Exception:
        s = repr(v)
    return scrub(s)[:600]


def check_body(res, what):
    """every success body must be a JSON object with no null anywhere"""
    check(isinstance(res, dict), "%s: expected a JSON object body, got %s" % (what, describe(res)))

    def walk(v, p):
        if v is None:
            raise CheckFailure("%s: null at %s (fields with no value must be omitted)" % (what, p))
        if isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, "%s[%d]" % (p, i))
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, "%s.%s" % (p, k))
    walk(res, "$")
    return res


async def step(name, fn):
    _step[0] = name
    detail = await fn()
    print("ok %s%s" % (name, " (%s)" % scrub(detail) if detail else ""), flush=True)


async def expect_sdk_error(coro, status):
    try:
        await coro
    except GHLError as e:
        err = e
    except Exception as e:
        raise CheckFailure("expected GHLError (%d), got %s: %s" % (status, type(e).__name__, scrub(e)))
    else:
        raise CheckFailure("expected GHLError (%d), but the call succeeded" % status)
    check(err.status_code == status, "expected status_code %d, got %r: %s" % (status, err.status_code, scrub(err.message)))
    body = err.response
    check(isinstance(body, dict), "error body is not a JSON object: %s" % describe(body))
    check(body.get("statusCode") == status, "error body statusCode should be %d: %s" % (status, describe(body)))
    check(isinstance(body.get("message"), (str, list)), "error body needs a message: %s" % describe(body))
    check(isinstance(body.get("error"), str), "error body needs an error string: %s" % describe(body))
    check(isinstance(err.message, str) and err.message, "SDK error has no message")
    return err


def make_client(token):
    return LocalHighLevel(private_integration_token=token, log_level=LOG_LEVEL)


async def raw_get(ghl, url, params):
    """GET through the SDK's own client (for calls SDK 3.0.0 has no method for)."""
    resp = await ghl.request(method="GET", url=url, params=params)
    check(resp.status_code == 200, "%s: HTTP %d" % (url, resp.status_code))
    try:
        return resp.json()
    except ValueError:
        raise CheckFailure("%s: body is not JSON: %s" % (url, scrub(resp.text[:300])))


async def main():
    async def sdk_version():
        v = _pkg_version("gohighlevel-api-client")
        check(v == EXPECTED_SDK_VERSION, "gohighlevel-api-client %s installed, expected %s" % (v, EXPECTED_SDK_VERSION))
        return "gohighlevel-api-client %s, python %s" % (v, sys.version.split()[0])
    await step("sdk version", sdk_version)

    ghl = make_client(TOKEN)
    clients = [ghl]
    stamp = "%d%06d" % (time.time() * 1000, random.randrange(10 ** 6))
    email = "sdk-python-%s@example.com" % stamp
    state = {}

    try:
        async def create():
            res = check_body(await ghl.contacts.create_contact({
                "locationId": LOCATION_ID,
                "firstName": "Pyth",
                "lastName": "Sdk",
                "email": email,
                "phone": "+14155550124",
                "tags": ["sdk-check", "python"],
            }), "create_contact")
            c = res.get("contact")
            check(isinstance(c, dict) and isinstance(c.get("id"), str) and c["id"], "no contact.id in %s" % describe(res))
            check(c.get("locationId") == LOCATION_ID, "contact.locationId is %s" % describe(c.get("locationId")))
            check(c.get("firstName") == "Pyth" and c.get("lastName") == "Sdk", "names not echoed: %s" % describe(c))
            check(str(c.get("email")).lower() == email, "email not echoed: %s" % describe(c.get("email")))
            check(isinstance(c.get("tags"), list) and {"sdk-check", "python"} <= set(c["tags"]),
                  "tags not echoed: %s" % describe(c.get("tags")))
            state["id"] = c["id"]
            return "id %s" % c["id"]
        await step("contacts create", create)
        cid = state["id"]

        async def get():
            res = check_body(await ghl.contacts.get_contact(cid), "get_contact")
            c = res.get("contact") or {}
            check(c.get("id") == cid, "wrong contact: %s" % describe(res))
            check(c.get("firstName") == "Pyth" and str(c.get("email")).lower() == email, "fields differ: %s" % describe(c))
            check(isinstance(c.get("dateAdded"), str), "no dateAdded: %s" % describe(c))
        await step("contacts get", get)

        async def update():
            res = check_body(await ghl.contacts.update_contact(cid, {"firstName": "Pythed", "tags": ["sdk-check", "updated"]}),
                             "update_contact")
            check(res.get("succeeded") is True, 'no "succeeded": true (SDK\'s v3 model) in %s' % describe(res))
            check(res.get("succeded") is True, 'no "succeded": true in %s' % describe(res))
            c = res.get("contact") or {}
            check(c.get("id") == cid and c.get("firstName") == "Pythed", "updated contact not returned: %s" % describe(res))
            again = check_body(await ghl.contacts.get_contact(cid), "get_contact after update")
            check(again["contact"].get("firstName") == "Pythed", "update not persisted: %s" % describe(again))
            check("updated" in (again["contact"].get("tags") or []), "tags not updated: %s" % describe(again["contact"].get("tags")))
        await step("contacts update", update)

        async def list_():
            res = check_body(await raw_get(ghl, "/contacts/", {"locationId": LOCATION_ID, "limit": 100, "query": email}),
                             "GET /contacts/")
            check(isinstance(res.get("contacts"), list), "no contacts array: %s" % describe(res))
            check(isinstance(res.get("count"), (int, float)) and not isinstance(res.get("count"), bool),
                  "no numeric count: %s" % describe(res))
            check(any(c.get("id") == cid for c in res["contacts"]), "contact %s not listed: %s" % (cid, describe(res)))
            one = check_body(await raw_get(ghl, "/contacts/", {"locationId": LOCATION_ID, "limit": 1}), "GET /contacts/ limit 1")
            check(isinstance(one.get("contacts"), list) and len(one["contacts"]) <= 1, "limit 1 not honoured: %s" % describe(one))
            return "count %s, via HighLevel.request (no SDK method)" % res["count"]
        await step("contacts list", list_)

        async def search():
            res = check_body(await ghl.contacts.search_contacts_advanced({
                "locationId": LOCATION_ID,
                "pageLimit": 20,
                "filters": [{"field": "email", "operator": "eq", "value": email}],
            }), "search_contacts_advanced")
            check(isinstance(res.get("contacts"), list), "no contacts array: %s" % describe(res))
            check(isinstance(res.get("total"), (int, float)) and not isinstance(res.get("total"), bool),
                  "no numeric total: %s" % describe(res))
            check(any(c.get("id") == cid for c in res["contacts"]), "contact %s not found: %s" % (cid, describe(res)))
            check(all(str(c.get("email")).lower() == email for c in res["contacts"]),
                  "email eq filter returned other contacts: %s" % describe(res))
            return "total %s" % res["total"]
        await step("contacts search", search)

        async def upsert():
            res = check_body(await ghl.contacts.upsert_contact({
                "locationId": LOCATION_ID, "email": email.upper(), "city": "Upserted",
            }), "upsert_contact")
            check(res.get("new") is False, "the same email in other case is the same contact: %s" % describe(res))
            c = res.get("contact") or {}
            check(c.get("id") == cid and c.get("city") == "Upserted", "contact not updated: %s" % describe(res))
            check(isinstance(res.get("traceId"), str) and res["traceId"], "no traceId: %s" % describe(res))
            fresh = check_body(await ghl.contacts.upsert_contact({
                "locationId": LOCATION_ID, "email": "sdk-python-upsert-%s@example.com" % stamp,
            }), "upsert_contact new")
            check(fresh.get("new") is True and (fresh.get("contact") or {}).get("id") not in (None, cid),
                  "a new email should create a contact: %s" % describe(fresh))
            check_body(await ghl.contacts.delete_contact(fresh["contact"]["id"]), "delete_contact upserted")
            return "same email -> updated, new email -> created"
        await step("contacts upsert", upsert)

        async def tags():
            added = check_body(await ghl.contacts.add_tags(cid, {"tags": ["Extra", "SDK-CHECK"]}), "add_tags")
            check(isinstance(added.get("tags"), list) and "extra" in added["tags"]
                  and added["tags"].count("sdk-check") == 1, "tags after adding: %s" % describe(added))
            removed = check_body(await ghl.contacts.remove_tags(cid, {"tags": ["EXTRA"]}), "remove_tags")
            check(isinstance(removed.get("tags"), list) and "extra" not in removed["tags"]
                  and "sdk-check" in removed["tags"], "tags after removing: %s" % describe(removed))
            return "tags %s" % describe(removed["tags"])
        await step("contacts tags", tags)

        async def notes():
            created = check_body(await ghl.contacts.create_note(cid, {"body": "Called from the Python SDK"}), "create_note")
            note = created.get("note") or {}
            nid = note.get("id")
            check(isinstance(nid, str) and note.get("contactId") == cid, "no note: %s" % describe(created))
            listed = check_body(await ghl.contacts.get_all_notes(cid), "get_all_notes")
            check(any(n.get("id") == nid for n in listed.get("notes") or []), "note not listed: %s" % describe(listed))
            updated = check_body(await ghl.contacts.update_note(cid, nid, {"body": "Edited", "pinned": True}), "update_note")
            check((updated.get("note") or {}).get("body") == "Edited" and updated["note"].get("pinned") is True,
                  "note not updated: %s" % describe(updated))
            got = check_body(await ghl.contacts.get_note(cid, nid), "get_note")
            check((got.get("note") or {}).get("body") == "Edited", "note not read back: %s" % describe(got))
            deleted = check_body(await ghl.contacts.delete_note(cid, nid), "delete_note")
            check(deleted.get("succeded") is True, 'no "succeded": true in %s' % describe(deleted))
            await expect_sdk_error(ghl.contacts.get_note(cid, nid), 404)
            return "create, list, update, get, delete"
        await step("contacts notes", notes)

        async def duplicate():
            by_email = check_body(await ghl.contacts.get_duplicate_contact(LOCATION_ID, email=email),
                                  "get_duplicate_contact email")
            check((by_email.get("contact") or {}).get("id") == cid, "not found by email: %s" % describe(by_email))
            by_phone = check_body(await ghl.contacts.get_duplicate_contact(LOCATION_ID, number="+14155550124"),
                                  "get_duplicate_contact number")
            check((by_phone.get("contact") or {}).get("id") == cid, "not found by number: %s" % describe(by_phone))
            none = check_body(await ghl.contacts.get_duplicate_contact(
                LOCATION_ID, email="nobody-%s@example.com" % stamp), "get_duplicate_contact none")
            check(none == {}, "expected {} for no match: %s" % describe(none))
        await step("contacts duplicate", duplicate)

        async def delete():
            res = check_body(await ghl.contacts.delete_contact(cid), "delete_contact")
            check(res.get("succeeded") is True, 'no "succeeded": true (SDK\'s v3 model) in %s' % describe(res))
            check(res.get("succeded") is True, 'no "succeded": true in %s' % describe(res))
            await expect_sdk_error(ghl.contacts.get_contact(cid), 404)
            return "then get -> GHLError 404"
        await step("contacts delete", delete)

        async def location():
            res = check_body(await ghl.locations.get_location(LOCATION_ID), "get_location")
            loc = res.get("location") or {}
            check(loc.get("id") == LOCATION_ID, "wrong location: %s" % describe(res))
            check(isinstance(loc.get("name"), str), "location has no name: %s" % describe(res))
            return "name %s" % json.dumps(loc["name"])
        await step("locations get", location)

        async def custom_fields():
            created = check_body(await ghl.locations.create_custom_field(LOCATION_ID, {
                "name": "SDK size %s" % stamp, "dataType": "SINGLE_OPTIONS", "options": ["S", "M"],
                "model": "contact"}), "create_custom_field")
            field = created.get("customField") or {}
            fid = field.get("id")
            check(isinstance(fid, str) and field.get("model") == "contact"
                  and field.get("picklistOptions") == ["S", "M"], "no field: %s" % describe(created))
            listed = check_body(await ghl.locations.get_custom_fields(LOCATION_ID, model="contact"), "get_custom_fields")
            check(any(f.get("id") == fid for f in listed.get("customFields") or []),
                  "field not listed: %s" % describe(listed))
            by_key = check_body(await ghl.locations.get_custom_field(LOCATION_ID, field["fieldKey"]),
                                "get_custom_field by key")
            check((by_key.get("customField") or {}).get("id") == fid, "not found by key: %s" % describe(by_key))
            made = check_body(await ghl.contacts.create_contact({
                "locationId": LOCATION_ID, "firstName": "Fielded",
                "customFields": [{"id": fid, "field_value": "M"}]}), "create_contact with a custom field")
            fielded = made["contact"]["id"]
            check(any(v.get("id") == fid and v.get("value") == "M" for v in made["contact"].get("customFields") or []),
                  "value not stored: %s" % describe(made["contact"]))
            updated = check_body(await ghl.locations.update_custom_field(LOCATION_ID, fid, {"name": "SDK size"}),
                                 "update_custom_field")
            check((updated.get("customField") or {}).get("name") == "SDK size", "not renamed: %s" % describe(updated))
            deleted = check_body(await ghl.locations.delete_custom_field(LOCATION_ID, fid), "delete_custom_field")
            check(deleted.get("succeded") is True, 'no "succeded": true in %s' % describe(deleted))
            after = check_body(await ghl.contacts.get_contact(fielded), "get_contact after the delete")
            check(not any(v.get("id") == fid for v in after["contact"].get("customFields") or []),
                  "value kept: %s" % describe(after))
            check_body(await ghl.contacts.delete_contact(fielded), "delete_contact fielded")
            await expect_sdk_error(ghl.locations.get_custom_field(LOCATION_ID, fid), 404)
            return "create, list, get by key, a contact value, update, delete"
        await step("locations custom fields", custom_fields)

        async def location_tags():
            created = check_body(await ghl.locations.create_tag(LOCATION_ID, {"name": "SDK Tag"}), "create_tag")
            tag = created.get("tag") or {}
            tid = tag.get("id")
            check(isinstance(tid, str) and tag.get("name") == "sdk tag" and tag.get("locationId") == LOCATION_ID,
                  "no tag: %s" % describe(created))
            listed = check_body(await ghl.locations.get_location_tags(LOCATION_ID), "get_location_tags")
            names = [t.get("name") for t in listed.get("tags") or []]
            check("sdk tag" in names and "sdk-check" in names, "tags not listed: %s" % describe(listed))
            got = check_body(await ghl.locations.get_tag_by_id(LOCATION_ID, tid), "get_tag_by_id")
            check((got.get("tag") or {}).get("name") == "sdk tag", "not read back: %s" % describe(got))
            renamed = check_body(await ghl.locations.update_tag(LOCATION_ID, tid, {"name": "SDK Renamed"}), "update_tag")
            check((renamed.get("tag") or {}).get("name") == "sdk renamed", "not renamed: %s" % describe(renamed))
            deleted = check_body(await ghl.locations.delete_tag(LOCATION_ID, tid), "delete_tag")
            check(deleted.get("succeded") is True, 'no "succeded": true in %s' % describe(deleted))
            await expect_sdk_error(ghl.locations.get_tag_by_id(LOCATION_ID, tid), 404)
            return "create, list (with contact tags), get, rename, delete"
        await step("locations tags", location_tags)

        async def users_search():
            res = check_body(await ghl.users.search_users(company_id=LOCATION_ID, location_id=LOCATION_ID), "search_users")
            check(isinstance(res.get("users"), list), "no users array: %s" % describe(res))
            check(isinstance(res.get("count"), (int, float)) and not isinstance(res.get("count"), bool),
                  "no numeric count: %s" % describe(res))
            for u in res["users"]:
                check(isinstance(u.get("id"), str), "user without id: %s" % describe(u))
                check(not any("password" in k.lower() for k in u), "user carries a password field: %s" % describe(list(u)))
            return "count %s" % res["count"]
        await step("users search", users_search)

        async def users_by_location():
            res = check_body(await raw_get(ghl, "/users/", {"locationId": LOCATION_ID}), "GET /users/")
            check(isinstance(res.get("users"), list), "no users array: %s" % describe(res))
            return "%d users, via HighLevel.request (no SDK method)" % len(res["users"])
        await step("users by location", users_by_location)

        async def unauthorized():
            bad = make_client("pit-invalid-%s" % stamp)
            clients.append(bad)
            err = await expect_sdk_error(bad.locations.get_location(LOCATION_ID), 401)
            check(err.response.get("error") == "Unauthorized", 'error should be "Unauthorized": %s' % describe(err.response))
            return "GHLError 401: %s" % err.message
        await step("401 invalid token", unauthorized)

        async def forbidden():
            limited = make_client(TOKEN_NO_CONTACTS)
            clients.append(limited)
            err = await expect_sdk_error(limited.contacts.create_contact({
                "locationId": LOCATION_ID, "firstName": "Forbidden",
                "email": "sdk-python-403-%s@example.com" % stamp}), 403)
            check(err.response.get("error") == "Forbidden", 'error should be "Forbidden": %s' % describe(err.response))
            check("contacts.write" in json.dumps(err.response.get("message")),
                  "message should name the scope contacts.write: %s" % describe(err.response))
            return "GHLError 403: %s" % err.message
        await step("403 missing scope", forbidden)
    finally:
        for c in clients:
            try:
                await c.close()
            except Exception:
                pass


def run():
    try:
        asyncio.run(main())
    except CheckFailure as e:
        print("FAIL %s: %s" % (_step[0], scrub(e)), file=sys.stderr)
        sys.exit(1)
    except GHLError as e:
        # never print e.request: it carries the Authorization header
        hint = " [no response from %s: is the server running?]" % BASE_URL if e.status_code is None else ""
        print("FAIL %s: GHLError (status_code %r): %s response=%s%s"
              % (_step[0], e.status_code, scrub(e.message), describe(e.response), hint), file=sys.stderr)
        sys.exit(1)
    except ValueError as e:  # json.JSONDecodeError: the SDK calls response.json() on any status < 400
        print("FAIL %s: %s: %s [the SDK got a success or redirect response whose body is not JSON: "
              "every success needs a JSON body (no 204), and the Python SDK does not follow redirects]"
              % (_step[0], type(e).__name__, scrub(e)), file=sys.stderr)
        sys.exit(1)
    except Exception as e:
        print("FAIL %s: %s: %s" % (_step[0], type(e).__name__, scrub(e)), file=sys.stderr)
        sys.exit(1)
    print("python sdk check: all steps passed")


if __name__ == "__main__":
    run()
