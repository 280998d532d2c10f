// Encryption for everything the offline app keeps in the browser (WebCrypto only, no library).
//
// Records are AES-256-GCM with a fresh 96-bit IV each time, and "additional data" naming the user's store,
// the object store and the record, so a record cannot be moved into another slot or another user's store.
// The data key is imported non-extractable: script can use it but can never read it back out.

const encoder = new TextEncoder()
const decoder = new TextDecoder()
export const PBKDF2_ITERATIONS = 600000 // OWASP's 2023 figure for PBKDF2-HMAC-SHA256

export function bytesToBase64 (bytes) {
  let text = ''
  const view = new Uint8Array(bytes)
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000))
  return btoa(text)
}

export function base64ToBytes (text) {
  const raw = atob(text)
  const out = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

export function hex (buffer) {
  return Array.from(new Uint8Array(buffer), b => b.toString(16).padStart(2, '0')).join('')
}

export async function sha256Hex (data) {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  return hex(await crypto.subtle.digest('SHA-256', bytes))
}

/** The same hash the server computes in homevisit.offline.email_hash. */
export function emailHash (email) {
  return sha256Hex('homevisit-offline-email:' + email.trim().toLowerCase())
}

/** Import the user's raw key as a non-extractable AES-GCM key, then wipe the raw bytes. */
export async function importDataKey (raw) {
  try {
    return await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
  } finally {
    raw.fill(0)
  }
}

export async function encryptJSON (key, value, aad) {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(aad) }, key,
    encoder.encode(JSON.stringify(value)))
  return { iv, ct }
}

export async function decryptJSON (key, sealed, aad) {
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv, additionalData: encoder.encode(aad) },
    key, sealed.ct)
  return JSON.parse(decoder.decode(plain))
}

/** A key from the practitioner's offline passcode, used only to wrap (encrypt) the data key on this device. */
export async function passcodeKey (passcode, salt, iterations) {
  const base = await crypto.subtle.importKey('raw', encoder.encode(passcode.normalize('NFC')), 'PBKDF2', false, ['deriveKey'])
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base,
    { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
}

export async function wrapRaw (wrappingKey, raw, aad) {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(aad) }, wrappingKey, raw)
  return { iv, ct }
}

/** Unwrap the data key with the passcode key; throws when the passcode is wrong (the GCM tag fails). */
export async function unwrapDataKey (wrappingKey, wrapped, aad) {
  const raw = new Uint8Array(await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: wrapped.iv, additionalData: encoder.encode(aad) }, wrappingKey, wrapped.ct))
  return importDataKey(raw)
}
