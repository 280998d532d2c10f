// One practitioner's offline store, opened with their key: drafts, the outbox and downloaded data.
//
// Key handling (SECURITY.md items 23-24):
// - The data key is a random 256-bit key the server keeps per user and releases only to that user's
//   signed-in session (POST /offline/key, CSRF-checked, audited). The browser imports it non-extractable
//   and holds it in memory for the life of the page.
// - To open the app again with no signal (tab closed, tablet restarted), the practitioner chooses an offline
//   passcode while signed in. The raw key is then encrypted under a key derived from that passcode
//   (PBKDF2-SHA256, 600,000 iterations, random salt) and only that wrapped copy is kept on the device, in the
//   device profile list. With no signal the app asks for their email and passcode, unwraps the key into a
//   non-extractable CryptoKey in memory, and locks again after the session idle time.
// - Five wrong passcodes delete the wrapped copy (nothing else): the visits stay, encrypted, until the
//   practitioner signs in with signal, when the server's key opens them again. Forgetting the passcode
//   loses nothing for the same reason.
// - Another practitioner on the same tablet has their own store id, database, key and passcode. The app never
//   reads, changes or deletes a store that is not the signed-in (or unlocked) practitioner's own; it only
//   counts what waits in the others' outboxes, to say that someone else has visits to send.

import * as db from './db.js'
import { PBKDF2_ITERATIONS, decryptJSON, encryptJSON, importDataKey, passcodeKey, unwrapDataKey, wrapRaw } from './crypto.js'

export const MAX_PASSCODE_FAILURES = 5
export const MIN_PASSCODE_LENGTH = 6

export class Vault {
  constructor (storeId, key, how) {
    this.storeId = storeId
    this.key = key
    this.how = how // 'session' (key from the server) or 'passcode' (unwrapped on this device)
  }

  aad (store, id) { return `${this.storeId}|${store}|${id}` }

  async _db () {
    if (!this.key) throw new Error('locked')
    if (!this.conn) this.conn = await db.openUser(this.storeId)
    return this.conn
  }

  lock () {
    this.key = null
    if (this.conn) this.conn.close()
    this.conn = null
  }

  async _put (store, keyField, id, value, meta = {}) {
    const sealed = await encryptJSON(this.key, value, this.aad(store, id))
    const conn = await this._db()
    await db.transact(conn, [store], 'readwrite', s => db.request(s.put({ ...meta, [keyField]: id, iv: sealed.iv, ct: sealed.ct })))
  }

  async _get (store, id) {
    const conn = await this._db()
    const row = await db.transact(conn, [store], 'readonly', s => db.request(s.get(id)))
    if (!row) return null
    return { meta: row, value: await decryptJSON(this.key, row, this.aad(store, id)) }
  }

  async _all (store) {
    const conn = await this._db()
    const rows = await db.transact(conn, [store], 'readonly', s => db.request(s.getAll()))
    const out = []
    for (const row of rows) {
      const id = row.id || row.name
      out.push({ meta: row, value: await decryptJSON(this.key, row, this.aad(store, id)) })
    }
    return out
  }

  async _delete (store, id) {
    const conn = await this._db()
    await db.transact(conn, [store], 'readwrite', s => db.request(s.delete(id)))
  }

  // drafts: the answers typed so far, saved as the practitioner goes
  saveDraft (draft) { return this._put('drafts', 'id', draft.id, draft, { savedAt: Date.now() }) }
  async getDraft (id) { const r = await this._get('drafts', id); return r && r.value }
  async listDrafts () { return (await this._all('drafts')).map(r => r.value) }
  deleteDraft (id) { return this._delete('drafts', id) }

  // the outbox: finished visits waiting to be sent. Metadata (state, attempts, when to retry) is in the
  // clear so the banner can count without the key; everything about the visit is in the ciphertext.
  async queue (item, draftId) {
    const sealed = await encryptJSON(this.key, item, this.aad('outbox', item.body.id))
    const conn = await this._db()
    const row = { id: item.body.id, iv: sealed.iv, ct: sealed.ct, state: 'queued', attempts: 0, nextAt: 0, queuedAt: Date.now() }
    // one transaction: the visit is in the outbox and its draft is gone, or neither
    await db.transact(conn, ['outbox', 'drafts'], 'readwrite', (outbox, drafts) =>
      Promise.all([db.request(outbox.put(row)), db.request(drafts.delete(draftId || item.body.id))]))
  }

  async outboxRows () {
    const conn = await this._db()
    const rows = await db.transact(conn, ['outbox'], 'readonly', s => db.request(s.getAll()))
    return rows.sort((a, b) => a.queuedAt - b.queuedAt)
  }

  async listOutbox () {
    const out = []
    for (const row of await this.outboxRows()) {
      out.push({ ...stateOf(row), item: await decryptJSON(this.key, row, this.aad('outbox', row.id)) })
    }
    return out
  }

  async getOutbox (id) {
    const r = await this._get('outbox', id)
    return r && { ...stateOf(r.meta), item: r.value }
  }

  /** Change an outbox entry's state (and, when given, its content); never removes it. */
  async updateOutbox (id, changes, item) {
    const conn = await this._db()
    const sealed = item ? await encryptJSON(this.key, item, this.aad('outbox', id)) : null
    await db.transact(conn, ['outbox'], 'readwrite', async s => {
      const row = await db.request(s.get(id))
      if (!row) return
      Object.assign(row, changes)
      if (sealed) { row.iv = sealed.iv; row.ct = sealed.ct }
      await db.request(s.put(row))
    })
  }

  /** Only after the server confirmed the visit (and its signature), or the practitioner chose to. */
  removeOutbox (id) { return this._delete('outbox', id) }

  saveData (name, value) { return this._put('data', 'name', name, value) }
  async getData (name) { const r = await this._get('data', name); return r && r.value }
}

function stateOf (row) {
  return { id: row.id, state: row.state, attempts: row.attempts, nextAt: row.nextAt, queuedAt: row.queuedAt }
}

/** Open the signed-in practitioner's vault with the key the server released to this session. */
export async function vaultFromServerKey (storeId, raw) {
  return new Vault(storeId, await importDataKey(raw), 'session')
}

/** Keep a copy of the data key on this device, encrypted under the practitioner's passcode. */
export async function setPasscode (storeId, emailHash, raw, passcode) {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const wrapping = await passcodeKey(passcode, salt, PBKDF2_ITERATIONS)
  try {
    const wrapped = await wrapRaw(wrapping, raw, `${storeId}|passcode`)
    const existing = (await db.getProfile(storeId)) || { storeId, createdAt: Date.now() }
    await db.putProfile({ ...existing, emailHash, salt, iterations: PBKDF2_ITERATIONS, wrapped, failures: 0, updatedAt: Date.now() })
  } finally {
    raw.fill(0)
  }
}

/** Open a vault with no signal: email and passcode. Returns {vault} or {error}. */
export async function unlockWithPasscode (emailHash, passcode) {
  const profiles = (await db.profilesByEmailHash(emailHash)).filter(p => p.wrapped)
  if (profiles.length === 0) {
    return { error: 'This tablet has no offline visits for that email address, or it needs signal to open them. Check the email address, or sign in when you have signal' }
  }
  for (const profile of profiles) {
    try {
      const wrapping = await passcodeKey(passcode, profile.salt, profile.iterations)
      const key = await unwrapDataKey(wrapping, profile.wrapped, `${profile.storeId}|passcode`)
      if (profile.failures) await db.putProfile({ ...profile, failures: 0 })
      return { vault: new Vault(profile.storeId, key, 'passcode') }
    } catch (_) {
      const failures = (profile.failures || 0) + 1
      if (failures >= MAX_PASSCODE_FAILURES) {
        const { wrapped, ...rest } = profile
        await db.putProfile({ ...rest, failures: 0, lockedOut: Date.now() })
        return { error: 'That passcode was wrong 5 times, so this tablet has stopped accepting it. Your visits are safe: sign in when you have signal to open and send them' }
      }
      await db.putProfile({ ...profile, failures })
    }
  }
  const left = MAX_PASSCODE_FAILURES - Math.max(...(await db.profilesByEmailHash(emailHash)).map(p => p.failures || 0))
  return { error: `Enter the correct email address and offline passcode. After ${left} more wrong ${left === 1 ? 'try' : 'tries'} the passcode stops working until you sign in with signal` }
}
