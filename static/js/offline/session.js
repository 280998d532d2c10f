// Who is signed in (if anyone can tell us: there may be no signal), and the key released to that session.

import { base64ToBytes } from './crypto.js'

const SESSION_URL = '/offline/session.json'
const KEY_URL = '/offline/key'

/**
 * The signed-in practitioner as the server sees them: {signedIn: true, storeId, emailHash, name, csrf, idleMinutes};
 * {signedIn: false, reason: 'no_signal'} when the server cannot be reached; {signedIn: false, reason: 'signed_out'}.
 */
export async function currentSession () {
  let response
  try {
    response = await fetch(SESSION_URL, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
  } catch (_) {
    return { signedIn: false, reason: 'no_signal' }
  }
  if (response.status === 401 || response.status === 403 || response.redirected) return { signedIn: false, reason: 'signed_out' }
  if (!response.ok || !(response.headers.get('Content-Type') || '').includes('json')) return { signedIn: false, reason: 'no_signal' }
  const body = await response.json()
  return {
    signedIn: true,
    storeId: body.store_id,
    emailHash: body.email_hash,
    name: body.name,
    team: body.team,
    visitorRole: body.visitor_role,
    csrf: body.csrf_token,
    idleMinutes: body.idle_minutes
  }
}

/** A session for a server-rendered page: the store id from the banner, the CSRF token from the sign-out form. */
export function pageSession () {
  const status = document.getElementById('offline-status')
  const storeId = status && status.dataset.offlineStore
  const csrf = document.querySelector('form input[name="csrf_token"]')
  if (!storeId || !csrf) return null
  return { signedIn: true, storeId, csrf: csrf.value }
}

export class KeyError extends Error {
  constructor (status) {
    super(`key not released (${status})`)
    this.status = status
  }
}

/** The practitioner's raw key (Uint8Array) from the server; the caller imports it and wipes it. */
export async function fetchKey (session) {
  let response
  try {
    response = await fetch(KEY_URL, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'X-CSRFToken': session.csrf, Accept: 'application/json' }
    })
  } catch (_) {
    throw new KeyError(0)
  }
  if (!response.ok || response.redirected) throw new KeyError(response.status === 400 ? 401 : response.status)
  const body = await response.json()
  if (body.store_id !== session.storeId) throw new KeyError(409)
  return base64ToBytes(body.key)
}
