// Sending the outbox: one visit at a time, each leaving only once the server has confirmed it.
//
// A visit goes with PUT /api/v1/visits/{id} (idempotent: a replay after a lost reply stores nothing twice),
// then its drawn signature with POST /api/v1/visits/{id}/signature. States in the outbox:
//   queued   waiting for the PUT          signing  stored on the server, signature waiting
//   conflict the server holds a different visit under this id (409): the practitioner decides
//   correct  the server refused an answer (422): the practitioner corrects it
//   resign   the server refused the signature image: the practitioner signs again
//   refused  the server will not take it for another reason: shown with its message
// A failure of the network or the server waits and tries again: 5 s, 10 s, 20 s ... capped at 5 minutes
// (with jitter). A 401 stops the round and keeps everything until the practitioner signs in again.

export const BASE_DELAY_MS = 5000
export const MAX_DELAY_MS = 5 * 60 * 1000
export const RETRYING = ['queued', 'signing']

export function backoffDelay (attempts) {
  const full = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1))
  return Math.round(full / 2 + Math.random() * full / 2)
}

async function call (method, url, session, body) {
  try {
    const response = await fetch(url, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': session.csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    let json = null
    try { json = await response.json() } catch (_) {}
    return { status: response.status, json }
  } catch (_) {
    return { status: 0, json: null }
  }
}

const visitUrl = id => `/api/v1/visits/${encodeURIComponent(id)}`

async function later (vault, row, result, message) {
  const attempts = (row.attempts || 0) + 1
  const nextAt = Date.now() + backoffDelay(attempts)
  await vault.updateOutbox(row.id, { attempts, nextAt, lastError: message || '' })
  result.nextAt = result.nextAt ? Math.min(result.nextAt, nextAt) : nextAt
}

async function attention (vault, row, entry, state, extra) {
  await vault.updateOutbox(row.id, { state, attempts: 0, nextAt: 0 }, { ...entry.item, ...extra })
}

async function sendOne (vault, session, row, result) {
  const entry = await vault.getOutbox(row.id)
  if (!entry) return 'next'
  const item = entry.item
  if (row.state === 'queued') {
    const put = await call('PUT', visitUrl(row.id), session, item.body)
    if (put.status === 200 || put.status === 201) {
      const confirmed = { ...item, server: { status: put.json && put.json.status, required_actions: (put.json && put.json.required_actions) || [] } }
      if (!item.signature) {
        await vault.removeOutbox(row.id)
        result.sent++
        return 'next'
      }
      await vault.updateOutbox(row.id, { state: 'signing', attempts: 0, nextAt: 0 }, confirmed)
      entry.item = confirmed
      row.state = 'signing'
      row.attempts = 0
    } else if (put.status === 401) {
      return 'stop-sign-in'
    } else if (put.status === 409) {
      const server = await call('GET', visitUrl(row.id), session)
      if (server.status === 401) return 'stop-sign-in'
      await attention(vault, row, entry, 'conflict', {
        conflict: { message: (put.json && put.json.detail) || 'A different visit is stored under this id', server: server.status === 200 ? server.json : null }
      })
      result.attention++
      return 'next'
    } else if (put.status === 422) {
      await attention(vault, row, entry, 'correct', { errors: (put.json && put.json.errors) || {} })
      result.attention++
      return 'next'
    } else if ([403, 404, 413, 415].includes(put.status)) {
      await attention(vault, row, entry, 'refused', { refused: (put.json && (put.json.detail || put.json.title)) || `The server refused the visit (${put.status})` })
      result.attention++
      return 'next'
    } else {
      await later(vault, row, result, put.status ? `The server answered ${put.status}` : 'No signal')
      return 'stop'
    }
  }
  if (row.state === 'signing') {
    const signed = await call('POST', visitUrl(row.id) + '/signature', session,
      { signature_png: item.signature.png, declaration_accepted: true })
    if (signed.status === 200 || signed.status === 201) {
      await vault.removeOutbox(row.id)
      result.sent++
      return 'next'
    }
    if (signed.status === 401) return 'stop-sign-in'
    if (signed.status === 404) {
      // this server cannot take signatures yet: keep the signature and try again later
      await later(vault, row, result, 'The server cannot take the signature yet')
      return 'next'
    }
    if (signed.status === 422) {
      const errors = (signed.json && signed.json.errors) || {}
      await attention(vault, row, entry, 'resign', { signatureError: Object.values(errors).flat()[0] || 'Sign again' })
      result.attention++
      return 'next'
    }
    if (signed.status === 409) {
      const server = await call('GET', visitUrl(row.id), session)
      if (server.status === 401) return 'stop-sign-in'
      await attention(vault, row, entry, 'conflict', {
        conflict: { message: (signed.json && signed.json.detail) || 'The visit could not be signed', server: server.status === 200 ? server.json : null }
      })
      result.attention++
      return 'next'
    }
    await later(vault, row, result, signed.status ? `The server answered ${signed.status}` : 'No signal')
    return signed.status === 0 ? 'stop' : 'next'
  }
  return 'next'
}

/**
 * Send what is due. Returns {sent, attention, needsSignIn, nextAt, busy}. Only one tab sends a
 * practitioner's outbox at a time (a Web Lock named after their store).
 */
export async function syncOutbox (vault, session, { force = false } = {}) {
  const run = async () => {
    const result = { sent: 0, attention: 0, needsSignIn: false, nextAt: null, busy: false }
    for (const row of await vault.outboxRows()) {
      if (!RETRYING.includes(row.state)) continue
      if (!force && row.nextAt && row.nextAt > Date.now()) {
        result.nextAt = result.nextAt ? Math.min(result.nextAt, row.nextAt) : row.nextAt
        continue
      }
      const outcome = await sendOne(vault, session, row, result)
      if (outcome === 'stop-sign-in') {
        result.needsSignIn = true
        break
      }
      if (outcome === 'stop') break
    }
    return result
  }
  if (!navigator.locks) return run()
  return navigator.locks.request('hv-sync-' + vault.storeId, { ifAvailable: true },
    lock => lock ? run() : { sent: 0, attention: 0, needsSignIn: false, nextAt: null, busy: true })
}
