// Compatibility check: HighLevel's official Node SDK (@gohighlevel/api-client 3.1.0),
// unchanged, against our API v2 (SPEC §7).
//
// env: GHL_BASE_URL           e.g. http://127.0.0.1:8080/v2
//      GHL_TOKEN              token with all scopes (contacts, locations, custom fields, tags, users)
//      GHL_TOKEN_NO_CONTACTS  valid token lacking contacts.write (for the 403)
//      GHL_LOCATION_ID        the account id (HighLevel's locationId / companyId)
//      GHL_SDK_LOG_LEVEL      optional, SDK log level (default "none"; the SDK redacts tokens)
//
// The SDK is resolved from this script's folder upwards, then NODE_PATH, then the
// current directory, e.g.:
//   npm install --prefix "$DIR" @gohighlevel/api-client@3.1.0
//   NODE_PATH="$DIR/node_modules" node tests/sdk/node_sdk_check.mjs
//
// Prints "ok <step>" per step; exits 1 with "FAIL <step>: ..." at the first failure.
// Never prints a token.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const EXPECTED_SDK_VERSION = '3.1.0';
const API_VERSION = '2021-07-28';

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`FAIL setup: environment variable ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const BASE_URL = env('GHL_BASE_URL').replace(/\/+$/, '');
const TOKEN = env('GHL_TOKEN');
const TOKEN_NO_CONTACTS = env('GHL_TOKEN_NO_CONTACTS');
const LOCATION_ID = env('GHL_LOCATION_ID');
const LOG_LEVEL = process.env.GHL_SDK_LOG_LEVEL || 'none'; // a string: LogLevel.NONE (0) is falsy and would become 'warn'

const SECRETS = [TOKEN, TOKEN_NO_CONTACTS].filter((s) => s && s.length >= 4);
const scrub = (s) => {
  let out = String(s);
  for (const t of SECRETS) out = out.split(t).join('***');
  return out;
};

// ---- load the SDK ---------------------------------------------------------
function loadSdk() {
  const bases = [import.meta.url, pathToFileURL(path.join(process.cwd(), 'noop.js')).href];
  let lastErr;
  for (const base of bases) {
    try {
      const req = createRequire(base);
      const sdk = req('@gohighlevel/api-client');
      const pkg = req('@gohighlevel/api-client/package.json');
      return { sdk, version: pkg.version };
    } catch (e) {
      lastErr = e;
    }
  }
  console.error(`FAIL setup: cannot load @gohighlevel/api-client (${lastErr && lastErr.message}); ` +
    `install it with: npm install @gohighlevel/api-client@${EXPECTED_SDK_VERSION}`);
  process.exit(2);
}
const { sdk, version: sdkVersion } = loadSdk();
const { HighLevel, GHLError, GHLAuthenticationError, GHLForbiddenError, GHLNotFoundError } = sdk;

// ---- helpers ----------------------------------------------------------------
class CheckFailure extends Error {}
let currentStep = 'setup';
function ok(step, detail) {
  console.log(`ok ${step}${detail ? ` (${scrub(detail)})` : ''}`);
}
function check(cond, msg) {
  if (!cond) throw new CheckFailure(msg);
}
function describe(v) {
  return scrub(JSON.stringify(v)).slice(0, 600);
}
/** every success body must be a JSON object with no null anywhere */
function checkBody(res, what) {
  check(res !== null && typeof res === 'object' && !Array.isArray(res),
    `${what}: expected a JSON object body, got ${describe(res)}`);
  const walk = (v, p) => {
    if (v === null) throw new CheckFailure(`${what}: null at ${p} (fields with no value must be omitted)`);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${p}.${k}`);
  };
  walk(res, '$');
  return res;
}
async function step(name, fn) {
  currentStep = name;
  const detail = await fn();
  ok(name, detail);
}
/** run fn, which must reject with the SDK's error class and HTTP status */
async function expectSdkError(fn, Cls, status) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  check(err !== undefined, `expected ${Cls.name} (${status}), but the call succeeded`);
  check(err instanceof GHLError,
    `expected a GHLError, got ${err && err.constructor && err.constructor.name}: ${scrub(err && err.message)}`);
  check(err instanceof Cls,
    `expected ${Cls.name}, got ${err.constructor.name} (statusCode ${err.statusCode}): ${scrub(err.message)}`);
  check(err.statusCode === status, `expected statusCode ${status}, got ${err.statusCode}`);
  const body = err.response;
  check(body && typeof body === 'object', `error body is not JSON: ${describe(body)}`);
  check(body.statusCode === status, `error body statusCode should be ${status}: ${describe(body)}`);
  check(typeof body.message === 'string' || Array.isArray(body.message),
    `error body needs a message: ${describe(body)}`);
  check(typeof body.error === 'string', `error body needs an error string: ${describe(body)}`);
  check(typeof err.message === 'string' && err.message.length > 0, 'SDK error has no message');
  return err;
}
function makeClient(token) {
  const ghl = new HighLevel({ privateIntegrationToken: token, apiVersion: API_VERSION, logLevel: LOG_LEVEL });
  const http = ghl.getHttpClient();
  http.defaults.baseURL = BASE_URL; // the SDK hard-codes services.leadconnectorhq.com
  // axios would silently follow a redirect (and turn a 301/302 POST into a bodiless GET);
  // SPEC: paths answer with and without trailing slash, never with a redirect. So make a 3xx an error.
  http.defaults.maxRedirects = 0;
  return ghl;
}

// ---- the flow ---------------------------------------------------------------
async function main() {
  await step('sdk version', async () => {
    check(sdkVersion === EXPECTED_SDK_VERSION,
      `@gohighlevel/api-client ${sdkVersion} installed, expected ${EXPECTED_SDK_VERSION}`);
    return `@gohighlevel/api-client ${sdkVersion}, node ${process.version}`;
  });

  const ghl = makeClient(TOKEN);
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const email = `sdk-node-${stamp}@example.com`;
  let contactId;

  await step('contacts create', async () => {
    const res = checkBody(await ghl.contacts.createContact({
      locationId: LOCATION_ID,
      firstName: 'Nodie',
      lastName: 'Sdk',
      email,
      phone: '+14155550123',
      tags: ['sdk-check', 'node'],
    }), 'createContact');
    const c = res.contact;
    check(c && typeof c.id === 'string' && c.id.length > 0, `no contact.id in ${describe(res)}`);
    check(c.locationId === LOCATION_ID, `contact.locationId is ${describe(c.locationId)}`);
    check(c.firstName === 'Nodie' && c.lastName === 'Sdk', `names not echoed: ${describe(c)}`);
    check(String(c.email).toLowerCase() === email, `email not echoed: ${describe(c.email)}`);
    check(Array.isArray(c.tags) && c.tags.includes('sdk-check') && c.tags.includes('node'),
      `tags not echoed: ${describe(c.tags)}`);
    contactId = c.id;
    return `id ${contactId}`;
  });

  await step('contacts get', async () => {
    // As the SDK's README shows it: a `locationId` header (for its OAuth token lookup),
    // which the server must ignore. The re-get after the update sends none.
    const res = checkBody(await ghl.contacts.getContact({ contactId }, { headers: { locationId: LOCATION_ID } }),
      'getContact');
    const c = res.contact;
    check(c && c.id === contactId, `wrong contact: ${describe(res)}`);
    check(c.firstName === 'Nodie' && String(c.email).toLowerCase() === email, `fields differ: ${describe(c)}`);
    check(typeof c.dateAdded === 'string', `no dateAdded: ${describe(c)}`);
  });

  await step('contacts update', async () => {
    const res = checkBody(await ghl.contacts.updateContact({ contactId },
      { firstName: 'Noded', tags: ['sdk-check', 'updated'] }), 'updateContact');
    check(res.succeded === true, `no "succeded": true (SDK's v2 type) in ${describe(res)}`);
    check(res.succeeded === true, `no "succeeded": true in ${describe(res)}`);
    check(res.contact && res.contact.id === contactId && res.contact.firstName === 'Noded',
      `updated contact not returned: ${describe(res)}`);
    const again = checkBody(await ghl.contacts.getContact({ contactId }), 'getContact after update');
    check(again.contact.firstName === 'Noded', `update not persisted: ${describe(again.contact)}`);
    check(Array.isArray(again.contact.tags) && again.contact.tags.includes('updated'),
      `tags not updated: ${describe(again.contact.tags)}`);
  });

  await step('contacts list', async () => {
    const res = checkBody(await ghl.contacts.getContacts({ locationId: LOCATION_ID, limit: 100, query: email }),
      'getContacts');
    check(Array.isArray(res.contacts), `no contacts array: ${describe(res)}`);
    check(typeof res.count === 'number', `no numeric count: ${describe(res)}`);
    check(res.contacts.some((c) => c.id === contactId), `contact ${contactId} not listed: ${describe(res)}`);
    const one = checkBody(await ghl.contacts.getContacts({ locationId: LOCATION_ID, limit: 1 }), 'getContacts limit 1');
    check(Array.isArray(one.contacts) && one.contacts.length <= 1, `limit 1 not honoured: ${describe(one)}`);
    return `count ${res.count}`;
  });

  await step('contacts search', async () => {
    const res = checkBody(await ghl.contacts.searchContactsAdvanced({
      locationId: LOCATION_ID,
      pageLimit: 20,
      filters: [{ field: 'email', operator: 'eq', value: email }],
    }), 'searchContactsAdvanced');
    check(Array.isArray(res.contacts), `no contacts array: ${describe(res)}`);
    check(typeof res.total === 'number', `no numeric total: ${describe(res)}`);
    check(res.contacts.some((c) => c.id === contactId), `contact ${contactId} not found: ${describe(res)}`);
    check(res.contacts.every((c) => String(c.email).toLowerCase() === email),
      `email eq filter returned other contacts: ${describe(res)}`);
    return `total ${res.total}`;
  });

  await step('contacts upsert', async () => {
    const res = checkBody(await ghl.contacts.upsertContact({
      locationId: LOCATION_ID, email: email.toUpperCase(), city: 'Upserted',
    }), 'upsertContact');
    check(res.new === false, `the same email in other case is the same contact: ${describe(res)}`);
    check(res.contact && res.contact.id === contactId && res.contact.city === 'Upserted',
      `contact not updated: ${describe(res)}`);
    check(typeof res.traceId === 'string' && res.traceId.length > 0, `no traceId: ${describe(res)}`);
    const fresh = checkBody(await ghl.contacts.upsertContact({
      locationId: LOCATION_ID, email: `sdk-node-upsert-${stamp}@example.com`,
    }), 'upsertContact new');
    check(fresh.new === true && fresh.contact && fresh.contact.id !== contactId,
      `a new email should create a contact: ${describe(fresh)}`);
    checkBody(await ghl.contacts.deleteContact({ contactId: fresh.contact.id }), 'deleteContact upserted');
    return 'same email -> updated, new email -> created';
  });

  await step('contacts tags', async () => {
    const added = checkBody(await ghl.contacts.addTags({ contactId }, { tags: ['Extra', 'SDK-CHECK'] }), 'addTags');
    check(Array.isArray(added.tags) && added.tags.includes('extra')
      && added.tags.filter((t) => t === 'sdk-check').length === 1, `tags after adding: ${describe(added)}`);
    const removed = checkBody(await ghl.contacts.removeTags({ contactId }, { tags: ['EXTRA'] }), 'removeTags');
    check(Array.isArray(removed.tags) && !removed.tags.includes('extra') && removed.tags.includes('sdk-check'),
      `tags after removing: ${describe(removed)}`);
    return `tags ${describe(removed.tags)}`;
  });

  await step('contacts notes', async () => {
    const created = checkBody(await ghl.contacts.createNote({ contactId }, { body: 'Called from the Node SDK' }),
      'createNote');
    const noteId = created.note && created.note.id;
    check(typeof noteId === 'string' && created.note.contactId === contactId, `no note: ${describe(created)}`);
    const list = checkBody(await ghl.contacts.getAllNotes({ contactId }), 'getAllNotes');
    check(Array.isArray(list.notes) && list.notes.some((n) => n.id === noteId), `note not listed: ${describe(list)}`);
    const updated = checkBody(await ghl.contacts.updateNote({ contactId, id: noteId }, { body: 'Edited', pinned: true }),
      'updateNote');
    check(updated.note && updated.note.body === 'Edited' && updated.note.pinned === true,
      `note not updated: ${describe(updated)}`);
    const got = checkBody(await ghl.contacts.getNote({ contactId, id: noteId }), 'getNote');
    check(got.note && got.note.body === 'Edited', `note not read back: ${describe(got)}`);
    const deleted = checkBody(await ghl.contacts.deleteNote({ contactId, id: noteId }), 'deleteNote');
    check(deleted.succeded === true, `no "succeded": true in ${describe(deleted)}`);
    await expectSdkError(() => ghl.contacts.getNote({ contactId, id: noteId }), GHLNotFoundError, 404);
    return 'create, list, update, get, delete';
  });

  await step('contacts duplicate', async () => {
    const byEmail = checkBody(await ghl.contacts.getDuplicateContact({ locationId: LOCATION_ID, email }),
      'getDuplicateContact email');
    check(byEmail.contact && byEmail.contact.id === contactId, `not found by email: ${describe(byEmail)}`);
    const byPhone = checkBody(await ghl.contacts.getDuplicateContact({ locationId: LOCATION_ID, number: '+14155550123' }),
      'getDuplicateContact number');
    check(byPhone.contact && byPhone.contact.id === contactId, `not found by number: ${describe(byPhone)}`);
    const none = checkBody(await ghl.contacts.getDuplicateContact({
      locationId: LOCATION_ID, email: `nobody-${stamp}@example.com`,
    }), 'getDuplicateContact none');
    check(Object.keys(none).length === 0, `expected {} for no match: ${describe(none)}`);
  });

  await step('contacts delete', async () => {
    const res = checkBody(await ghl.contacts.deleteContact({ contactId }), 'deleteContact');
    check(res.succeded === true, `no "succeded": true (SDK's v2 type) in ${describe(res)}`);
    check(res.succeeded === true, `no "succeeded": true in ${describe(res)}`);
    await expectSdkError(() => ghl.contacts.getContact({ contactId }), GHLNotFoundError, 404);
    return 'then get -> GHLNotFoundError 404';
  });

  await step('locations get', async () => {
    const res = checkBody(await ghl.locations.getLocation({ locationId: LOCATION_ID }), 'getLocation');
    check(res.location && res.location.id === LOCATION_ID, `wrong location: ${describe(res)}`);
    check(typeof res.location.name === 'string', `location has no name: ${describe(res)}`);
    return `name ${JSON.stringify(res.location.name)}`;
  });

  await step('locations custom fields', async () => {
    const created = checkBody(await ghl.locations.createCustomField({ locationId: LOCATION_ID }, {
      name: `SDK size ${stamp}`, dataType: 'SINGLE_OPTIONS', options: ['S', 'M'], model: 'contact',
    }), 'createCustomField');
    const field = created.customField;
    check(field && typeof field.id === 'string' && field.model === 'contact'
      && JSON.stringify(field.picklistOptions) === '["S","M"]', `no field: ${describe(created)}`);
    const list = checkBody(await ghl.locations.getCustomFields({ locationId: LOCATION_ID, model: 'contact' }),
      'getCustomFields');
    check(Array.isArray(list.customFields) && list.customFields.some((f) => f.id === field.id),
      `field not listed: ${describe(list)}`);
    const byKey = checkBody(await ghl.locations.getCustomField({ locationId: LOCATION_ID, id: field.fieldKey }),
      'getCustomField by key');
    check(byKey.customField && byKey.customField.id === field.id, `not found by key: ${describe(byKey)}`);
    const made = checkBody(await ghl.contacts.createContact({
      locationId: LOCATION_ID, firstName: 'Fielded', customFields: [{ id: field.id, field_value: 'M' }],
    }), 'createContact with a custom field');
    const fielded = made.contact.id;
    check(made.contact.customFields.some((v) => v.id === field.id && v.value === 'M'),
      `value not stored: ${describe(made.contact.customFields)}`);
    const updated = checkBody(await ghl.locations.updateCustomField({ locationId: LOCATION_ID, id: field.id },
      { name: 'SDK size' }), 'updateCustomField');
    check(updated.customField && updated.customField.name === 'SDK size', `not renamed: ${describe(updated)}`);
    const deleted = checkBody(await ghl.locations.deleteCustomField({ locationId: LOCATION_ID, id: field.id }),
      'deleteCustomField');
    check(deleted.succeded === true, `no "succeded": true in ${describe(deleted)}`);
    const after = checkBody(await ghl.contacts.getContact({ contactId: fielded }), 'getContact after the delete');
    check(!after.contact.customFields.some((v) => v.id === field.id), `value kept: ${describe(after.contact)}`);
    checkBody(await ghl.contacts.deleteContact({ contactId: fielded }), 'deleteContact fielded');
    await expectSdkError(() => ghl.locations.getCustomField({ locationId: LOCATION_ID, id: field.id }),
      GHLNotFoundError, 404);
    return 'create, list, get by key, a contact value, update, delete';
  });

  await step('locations tags', async () => {
    const created = checkBody(await ghl.locations.createTag({ locationId: LOCATION_ID }, { name: 'SDK Tag' }),
      'createTag');
    const tag = created.tag;
    check(tag && tag.name === 'sdk tag' && tag.locationId === LOCATION_ID, `no tag: ${describe(created)}`);
    const list = checkBody(await ghl.locations.getLocationTags({ locationId: LOCATION_ID }), 'getLocationTags');
    check(Array.isArray(list.tags) && list.tags.some((t) => t.id === tag.id)
      && list.tags.some((t) => t.name === 'sdk-check'), `tags not listed: ${describe(list)}`);
    const got = checkBody(await ghl.locations.getTagById({ locationId: LOCATION_ID, tagId: tag.id }), 'getTagById');
    check(got.tag && got.tag.name === 'sdk tag', `not read back: ${describe(got)}`);
    const renamed = checkBody(await ghl.locations.updateTag({ locationId: LOCATION_ID, tagId: tag.id },
      { name: 'SDK Renamed' }), 'updateTag');
    check(renamed.tag && renamed.tag.name === 'sdk renamed', `not renamed: ${describe(renamed)}`);
    const deleted = checkBody(await ghl.locations.deleteTag({ locationId: LOCATION_ID, tagId: tag.id }), 'deleteTag');
    check(deleted.succeded === true, `no "succeded": true in ${describe(deleted)}`);
    await expectSdkError(() => ghl.locations.getTagById({ locationId: LOCATION_ID, tagId: tag.id }),
      GHLNotFoundError, 404);
    return 'create, list (with contact tags), get, rename, delete';
  });

  await step('users search', async () => {
    const res = checkBody(await ghl.users.searchUsers({ companyId: LOCATION_ID, locationId: LOCATION_ID }),
      'searchUsers');
    check(Array.isArray(res.users), `no users array: ${describe(res)}`);
    check(typeof res.count === 'number', `no numeric count: ${describe(res)}`);
    for (const u of res.users) {
      check(typeof u.id === 'string', `user without id: ${describe(u)}`);
      check(!Object.keys(u).some((k) => /password/i.test(k)), `user carries a password field: ${describe(Object.keys(u))}`);
    }
    return `count ${res.count}`;
  });

  await step('users by location', async () => {
    const res = checkBody(await ghl.users.getUserByLocation({ locationId: LOCATION_ID }), 'getUserByLocation');
    check(Array.isArray(res.users), `no users array: ${describe(res)}`);
    return `${res.users.length} users`;
  });

  await step('401 invalid token', async () => {
    const bad = makeClient(`pit-invalid-${stamp}`);
    const err = await expectSdkError(() => bad.locations.getLocation({ locationId: LOCATION_ID }),
      GHLAuthenticationError, 401);
    check(err.response.error === 'Unauthorized', `error should be "Unauthorized": ${describe(err.response)}`);
    return `GHLAuthenticationError: ${err.message}`;
  });

  await step('403 missing scope', async () => {
    const limited = makeClient(TOKEN_NO_CONTACTS);
    const err = await expectSdkError(() => limited.contacts.createContact({
      locationId: LOCATION_ID, firstName: 'Forbidden', email: `sdk-node-403-${stamp}@example.com`,
    }), GHLForbiddenError, 403);
    check(err.response.error === 'Forbidden', `error should be "Forbidden": ${describe(err.response)}`);
    check(/contacts\.write/.test(JSON.stringify(err.response.message)),
      `message should name the scope contacts.write: ${describe(err.response)}`);
    return `GHLForbiddenError: ${err.message}`;
  });
}

main().then(() => {
  console.log('node sdk check: all steps passed');
}, (e) => {
  const kind = e instanceof CheckFailure ? '' : `${e && e.constructor ? e.constructor.name : 'error'}` +
    `${e && e.statusCode !== undefined ? ` (statusCode ${e.statusCode})` : ''}: `;
  const body = e && e.response !== undefined && !(e instanceof CheckFailure) ? ` response=${describe(e.response)}` : '';
  let hint = '';
  if (e && e.statusCode >= 300 && e.statusCode < 400) {
    hint = ' [a redirect: every path must be answered as is, with or without trailing slash, never redirected]';
  } else if (e && e.code === 'NETWORK') {
    hint = ` [no response from ${BASE_URL}: is the server running?]`;
  }
  console.error(`FAIL ${currentStep}: ${kind}${scrub(e && e.message)}${body}${hint}`);
  process.exit(1);
});
