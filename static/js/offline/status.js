// On every server-rendered page: install the service worker for a practitioner, show the offline status
// banner, list visits recorded offline that have not been sent yet (caseload and child pages), and send
// them when there is signal. The offline app itself (/offline/) does all this in app.js.

import { registerServiceWorker, renderBanner } from './banner.js'
import { getProfile, outboxCount } from './db.js'
import { fetchKey, pageSession } from './session.js'
import { RETRYING, syncOutbox } from './sync.js'
import { dateTimeWords, h, link } from './ui.js'
import { vaultFromServerKey } from './vault.js'

const el = document.getElementById('offline-status')
const APP_URL = '/offline/'
const CHILD_PAGE = /^\/children\/([0-9a-f-]{36})\/?$/

async function queuedList (vault) {
  const match = CHILD_PAGE.exec(location.pathname)
  if (!match && location.pathname !== '/children/') return []
  const items = []
  for (const entry of await vault.listOutbox()) {
    if (match && entry.item.body.child_id !== match[1]) continue
    items.push(h('li', {}, match ? `Visit on ${dateTimeWords(entry.item.body.visited_at)} ` : `${entry.item.childName}: visit on ${dateTimeWords(entry.item.body.visited_at)} `,
      h('strong', { class: 'govuk-tag govuk-tag--purple' }, 'Recorded offline'), ' ',
      h('strong', { class: 'govuk-tag govuk-tag--grey' }, RETRYING.includes(entry.state) ? 'Not sent yet' : 'Needs your attention')))
  }
  if (!items.length) return []
  return [h('p', { class: 'govuk-body govuk-!-margin-bottom-1' }, match ? 'Not sent yet for this child:' : 'Not sent yet:'),
    h('ul', { class: 'govuk-list govuk-list--bullet' }, items)]
}

async function main () {
  if (!el || document.getElementById('offline-app')) return
  const session = pageSession()
  if (!session) return
  registerServiceWorker()
  if (!window.indexedDB || !window.crypto || !crypto.subtle) return
  const profile = await getProfile(session.storeId)
  if (!profile) return // this practitioner has never recorded offline on this tablet
  let waiting = await outboxCount(session.storeId)
  const base = { appUrl: APP_URL, signInUrl: '/sign-in?next=' + encodeURIComponent(location.pathname), showAllSent: true }
  renderBanner(el, { ...base, waiting, noSignal: !navigator.onLine })
  if (waiting === 0) return
  let vault
  try {
    vault = await vaultFromServerKey(session.storeId, await fetchKey(session))
  } catch (error) {
    renderBanner(el, { ...base, waiting, noSignal: error.status === 0, needsSignIn: error.status === 401 })
    return
  }
  const send = async () => {
    const extra = await queuedList(vault)
    renderBanner(el, { ...base, waiting, sending: navigator.onLine, noSignal: !navigator.onLine, extra })
    const result = await syncOutbox(vault, session)
    waiting = await outboxCount(session.storeId)
    const rows = await vault.outboxRows()
    const attention = rows.filter(r => !RETRYING.includes(r.state)).length
    const after = await queuedList(vault)
    if (result.sent > 0) after.push(h('p', { class: 'govuk-body' }, link('Show the visits just sent', location.href, { class: 'govuk-notification-banner__link' })))
    renderBanner(el, { ...base, waiting, attention, needsSignIn: result.needsSignIn, noSignal: !navigator.onLine, extra: after })
    if (!result.needsSignIn && result.nextAt) setTimeout(send, Math.max(1000, result.nextAt - Date.now()))
  }
  window.addEventListener('online', send)
  if (navigator.onLine) await send()
}

main().catch(() => {})
