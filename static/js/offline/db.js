// A few promise helpers over IndexedDB (no library needed for this much).
//
// Two kinds of database:
//   "hv-offline"            one per device: a profile per practitioner who has used offline recording here
//                           (store id, email hash, the data key wrapped under their passcode). No plaintext.
//   "hv-offline-<store id>" one per practitioner: drafts, outbox and downloaded data, every value ciphertext.
// A practitioner's database is only ever opened with their own store id: nothing here deletes another's.

export const META_DB = 'hv-offline'
export const USER_DB_PREFIX = 'hv-offline-'

export function request (req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

export function open (name, upgrade) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => upgrade(req.result)
    req.onsuccess = () => {
      const db = req.result
      db.onversionchange = () => db.close()
      resolve(db)
    }
    req.onerror = () => reject(req.error)
    req.onblocked = () => reject(new Error('The offline store is open in an older tab: close it and try again'))
  })
}

/** Run fn(stores...) in one transaction; resolves with fn's result once the transaction has committed. */
export function transact (db, names, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: 'strict' })
    let result
    tx.oncomplete = () => resolve(result)
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'))
    Promise.resolve(fn(...names.map(n => tx.objectStore(n)))).then(r => { result = r }, error => {
      try { tx.abort() } catch (_) {}
      reject(error)
    })
  })
}

export function openMeta () {
  return open(META_DB, db => {
    const profiles = db.createObjectStore('profiles', { keyPath: 'storeId' })
    profiles.createIndex('emailHash', 'emailHash', { unique: false })
  })
}

export function openUser (storeId) {
  if (!/^[0-9a-f]{32}$/.test(storeId)) throw new Error('bad store id')
  return open(USER_DB_PREFIX + storeId, db => {
    db.createObjectStore('drafts', { keyPath: 'id' })
    db.createObjectStore('outbox', { keyPath: 'id' })
    db.createObjectStore('data', { keyPath: 'name' })
  })
}

export async function getProfile (storeId) {
  const db = await openMeta()
  try {
    return await transact(db, ['profiles'], 'readonly', s => request(s.get(storeId)))
  } finally { db.close() }
}

export async function profilesByEmailHash (emailHash) {
  const db = await openMeta()
  try {
    return await transact(db, ['profiles'], 'readonly', s => request(s.index('emailHash').getAll(emailHash)))
  } finally { db.close() }
}

export async function allProfiles () {
  const db = await openMeta()
  try {
    return await transact(db, ['profiles'], 'readonly', s => request(s.getAll()))
  } finally { db.close() }
}

export async function putProfile (profile) {
  const db = await openMeta()
  try {
    await transact(db, ['profiles'], 'readwrite', s => request(s.put(profile)))
  } finally { db.close() }
}

/** How many visits wait in a practitioner's outbox: counting needs no key (the ids are random UUIDs). */
export async function outboxCount (storeId) {
  const db = await openUser(storeId)
  try {
    return await transact(db, ['outbox'], 'readonly', s => request(s.count()))
  } finally { db.close() }
}
