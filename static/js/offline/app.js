// The offline app: record a visit with no signal, keep it encrypted on the tablet, send it when there is signal.
//
// One page (/offline/ and /offline/visit, kept by the service worker) that draws each view itself:
//   home      what is waiting to send, drafts, and the caseload to start a visit from
//   section   one section of the visit, saved (encrypted) as the practitioner types
//   check     every answer, the provisional required actions, the declaration and the drawn signature
//   outbox    one visit in the outbox: a conflict with both versions, answers to correct, a signature to redo
//   unlock    no session (no signal, or signed out): email and offline passcode open this practitioner's store
//   setup     first time on this tablet: choose the offline passcode

import { registerServiceWorker, renderBanner } from './banner.js'
import { emailHash, sha256Hex } from './crypto.js'
import { allProfiles, getProfile, outboxCount } from './db.js'
import { answerWords, checkVisit, nowForInput, readFields, renderField } from './form.js'
import { provisionalActions } from './rules.js'
import { currentSession, fetchKey } from './session.js'
import { RETRYING, syncOutbox } from './sync.js'
import { button, dateTimeWords, dateWords, errorSummary, h, insetText, link, p, pluralVisits, summaryList, tag, warningText } from './ui.js'
import { MIN_PASSCODE_LENGTH, setPasscode, unlockWithPasscode, vaultFromServerKey } from './vault.js'

const root = document.getElementById('offline-app')
const view = document.getElementById('offline-view')
const heading = document.getElementById('offline-heading')
const errorSlot = document.getElementById('offline-errors')
const statusEl = document.getElementById('offline-status')
const urls = root.dataset
const SERVICE = document.title.includes(' – ') ? document.title.split(' – ').pop() : 'Home Visit Toolkit'
const DEFAULT_IDLE_MINUTES = 15

const state = {
  dictionary: null,
  session: { signedIn: false, reason: 'no_signal' },
  vault: null,
  me: null,
  caseload: null,
  sending: false,
  needsSignIn: false,
  timer: null,
  idleTimer: null,
  pendingSave: null,
  lastSync: null
}

// --- small helpers ----------------------------------------------------------------------------------

/** Draw a view: its heading, an error summary above it (as GOV.UK pages have it), and its content. */
function show (title, ...nodes) {
  const present = nodes.filter(n => n !== null && n !== undefined && n !== false)
  const summary = present.find(n => n.classList && n.classList.contains('govuk-error-summary'))
  heading.textContent = title
  document.title = `${summary ? 'Error: ' : ''}${title} – ${SERVICE}`
  errorSlot.replaceChildren(...(summary ? [summary] : []))
  view.replaceChildren(...present.filter(n => n !== summary))
  if (summary) {
    summary.focus()
    window.scrollTo(0, 0)
  } else if (state.quiet) {
    state.quiet = false // redrawn because something was sent: leave focus and scroll where they are
  } else {
    heading.focus()
    window.scrollTo(0, 0)
  }
}

function appLink (text, href, attrs = {}) {
  return link(text, href, { ...attrs, dataset: { app: '1' } })
}

function backLink (text, href) {
  return h('a', { class: 'govuk-back-link', href, dataset: { app: '1' } }, text)
}

function go (href, { replace = false } = {}) {
  flushSave()
  if (replace) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  return route()
}

const visitHref = (id, section) => `${urls.visitUrl}?id=${encodeURIComponent(id)}&section=${encodeURIComponent(section)}`
const sessionMatches = () => state.session.signedIn && state.vault && state.session.storeId === state.vault.storeId
const fieldsOf = section => state.dictionary.fields.filter(f => f.section === section)
const childById = id => ((state.caseload && state.caseload.children) || []).find(c => c.id === id)

function formGroupError (text) {
  return h('p', { class: 'govuk-error-message' }, h('span', { class: 'govuk-visually-hidden' }, 'Error: '), text)
}

function textInput (id, label, { type = 'text', hint = '', autocomplete = null, error = null, value = '' } = {}) {
  const described = [hint ? id + '-hint' : null, error ? id + '-error' : null].filter(Boolean).join(' ') || null
  return h('div', { class: 'govuk-form-group' + (error ? ' govuk-form-group--error' : '') },
    h('label', { class: 'govuk-label govuk-label--s', for: id }, label),
    hint ? h('div', { class: 'govuk-hint', id: id + '-hint' }, hint) : null,
    error ? h('p', { class: 'govuk-error-message', id: id + '-error' }, h('span', { class: 'govuk-visually-hidden' }, 'Error: '), error) : null,
    h('input', { class: 'govuk-input govuk-!-width-two-thirds' + (error ? ' govuk-input--error' : ''), id, name: id, type, autocomplete, spellcheck: 'false', value: value || null, 'aria-describedby': described }))
}

// --- the banner and sending -------------------------------------------------------------------------

async function updateBanner (extra = {}) {
  if (!state.vault || !state.vault.key) {
    renderBanner(statusEl, { waiting: 0 })
    return
  }
  const rows = await state.vault.outboxRows()
  renderBanner(statusEl, {
    waiting: rows.length,
    attention: rows.filter(r => !RETRYING.includes(r.state)).length,
    needsSignIn: state.needsSignIn,
    sending: state.sending,
    noSignal: !navigator.onLine || (!state.session.signedIn && state.session.reason === 'no_signal'),
    signInUrl: urls.signInUrl,
    appUrl: null,
    showAllSent: true,
    ...extra
  })
}

async function sync ({ force = false } = {}) {
  if (!state.vault || !state.vault.key) return
  if (state.sending) {
    state.again = state.again || (force ? 'force' : 'due') // asked again while sending: go round once more
    return
  }
  if (!sessionMatches()) {
    const session = await currentSession()
    if (session.signedIn && session.storeId === state.vault.storeId) {
      state.session = session
    } else {
      // signed out, or signed in as someone else: only this practitioner's own session can send their visits
      state.needsSignIn = (session.signedIn || session.reason === 'signed_out') && (await state.vault.outboxRows()).length > 0
      await updateBanner()
      return
    }
  }
  state.sending = true
  await updateBanner()
  let result
  try {
    result = await syncOutbox(state.vault, state.session, { force })
  } finally {
    state.sending = false
  }
  state.lastSync = result
  state.needsSignIn = result.needsSignIn
  if (result.needsSignIn) state.session = { signedIn: false, reason: 'signed_out' }
  clearTimeout(state.timer)
  if (!result.needsSignIn && result.nextAt) state.timer = setTimeout(() => sync(), Math.max(1000, result.nextAt - Date.now()))
  await updateBanner()
  if (result.sent > 0 || result.attention > 0 || result.needsSignIn) refreshIfShowing()
  const again = state.again
  state.again = null
  if (again && !result.needsSignIn) await sync({ force: again === 'force' })
}

function refreshIfShowing () {
  if (!state.vault || !state.vault.key) return // the unlock page: keep what is typed in it
  const url = new URL(location.href)
  const section = url.searchParams.get('section')
  if (url.pathname !== urls.visitUrl || section === 'outbox') {
    state.quiet = true
    route()
  }
}

// --- starting up --------------------------------------------------------------------------------------

async function loadDictionary () {
  const response = await fetch(urls.dictionaryUrl, { credentials: 'same-origin' })
  if (!response.ok || response.redirected) throw new Error('dictionary')
  return response.json()
}

async function refreshFromServer () {
  try {
    const response = await fetch(urls.caseloadUrl, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
    if (response.ok && !response.redirected) {
      state.caseload = await response.json()
      await state.vault.saveData('caseload', state.caseload)
    }
  } catch (_) {}
  state.me = { name: state.session.name, team: state.session.team, visitorRole: state.session.visitorRole || '', idleMinutes: state.session.idleMinutes }
  await state.vault.saveData('me', state.me)
}

async function loadFromVault () {
  state.caseload = (await state.vault.getData('caseload')) || { children: [], generated_at: null }
  state.me = (await state.vault.getData('me')) || {}
}

async function boot () {
  registerServiceWorker()
  if (!window.indexedDB || !window.crypto || !crypto.subtle) {
    show('Visits without signal', p('This browser cannot keep visits safely without signal. Use the tablet’s up-to-date browser.'))
    return
  }
  try {
    state.dictionary = await loadDictionary()
  } catch (_) {
    show('Visits without signal', p('This tablet is not ready to record visits without signal yet. When you have signal, sign in and open this page once.'),
      p(link('Sign in', urls.signInUrl)))
    return
  }
  state.session = await currentSession()
  if (state.session.signedIn) {
    try {
      state.vault = await vaultFromServerKey(state.session.storeId, await fetchKey(state.session))
    } catch (error) {
      state.session = { signedIn: false, reason: error.status === 0 ? 'no_signal' : 'signed_out' }
      return showUnlock()
    }
    const profile = await getProfile(state.session.storeId)
    await refreshFromServer()
    if (!profile || !profile.wrapped || profile.emailHash !== state.session.emailHash) return showSetup()
    await afterUnlock()
    return
  }
  showUnlock()
}

async function afterUnlock () {
  if (!state.caseload) await loadFromVault()
  watchIdle()
  route()
  await updateBanner()
  if (navigator.onLine) sync()
}

// Locked again after the session's idle time with nothing done, as the server ends an idle session.
function resetIdle () {
  clearTimeout(state.idleTimer)
  if (!state.vault) return
  const minutes = (state.me && state.me.idleMinutes) || DEFAULT_IDLE_MINUTES
  state.idleTimer = setTimeout(lockNow, minutes * 60 * 1000)
}
for (const type of ['pointerdown', 'keydown', 'input']) document.addEventListener(type, resetIdle, { passive: true })

function watchIdle () {
  resetIdle()
}

async function lockNow () {
  await flushSave() // what was typed is saved (encrypted) before the key is dropped
  if (state.vault) state.vault.lock()
  state.vault = null
  state.caseload = null
  state.me = null
  state.session = { signedIn: false, reason: navigator.onLine ? 'signed_out' : 'no_signal' }
  renderBanner(statusEl, { waiting: 0 })
  showUnlock('The offline visits were locked because the tablet was not used for a while. Nothing has been lost.')
}

// --- setup and unlock ---------------------------------------------------------------------------------

function showSetup (errors = {}) {
  const summary = Object.entries(errors).map(([key, text]) => ({ text, href: '#' + key }))
  const form = h('form', { novalidate: true },
    textInput('passcode', 'Offline passcode', { type: 'password', autocomplete: 'new-password', error: errors.passcode,
      hint: `At least ${MIN_PASSCODE_LENGTH} characters. Not your sign-in password. You need it to open your visits on this tablet when there is no signal.` }),
    textInput('passcode-again', 'Type the offline passcode again', { type: 'password', autocomplete: 'new-password', error: errors['passcode-again'] }),
    h('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Save the passcode'))
  form.addEventListener('submit', async event => {
    event.preventDefault()
    const passcode = form.elements.passcode.value
    const again = form.elements['passcode-again'].value
    const problems = {}
    if (passcode.length < MIN_PASSCODE_LENGTH) problems.passcode = `Enter an offline passcode of at least ${MIN_PASSCODE_LENGTH} characters`
    else if (passcode !== again) problems['passcode-again'] = 'Type the same offline passcode twice'
    if (Object.keys(problems).length) return showSetup(problems)
    let raw
    try {
      raw = await fetchKey(state.session)
    } catch (_) {
      return showSetup({ passcode: 'The passcode could not be saved because there is no signal or your session has ended. Try again when you have signal' })
    }
    await setPasscode(state.session.storeId, state.session.emailHash, raw, passcode)
    await afterUnlock()
  })
  show('Get this tablet ready for visits without signal',
    summary.length ? errorSummary(summary) : null,
    p('Visits you record without signal are kept on this tablet, encrypted, until they are sent. Choose an offline passcode: with no signal, you open your visits with your email address and this passcode.'),
    p('If you forget it, nothing is lost: sign in when you have signal and choose a new one.'),
    form)
}

async function showUnlock (notice = '', errors = {}, typedEmail = '') {
  const profiles = (await allProfiles()).filter(pr => pr.wrapped)
  const signInLink = p(link('Sign in', urls.signInUrl))
  if (profiles.length === 0) {
    show('Visits without signal',
      notice ? insetText(notice) : null,
      state.session.reason === 'signed_out'
        ? p('Sign in to record and send visits. To record visits without signal on this tablet, sign in and open this page once while you have signal.')
        : p('This tablet has no offline visits you can open without signal. When you have signal, sign in and open this page to get the tablet ready.'),
      signInLink)
    return
  }
  const summary = Object.entries(errors).map(([key, text]) => ({ text, href: '#' + key }))
  const form = h('form', { novalidate: true },
    textInput('email', 'Email address', { type: 'email', autocomplete: 'username', error: errors.email, value: typedEmail }),
    textInput('passcode', 'Offline passcode', { type: 'password', autocomplete: 'current-password', error: errors.passcode }),
    h('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Open my offline visits'))
  form.addEventListener('submit', async event => {
    event.preventDefault()
    const email = form.elements.email.value.trim()
    const passcode = form.elements.passcode.value
    if (!email) return showUnlock(notice, { email: 'Enter your email address' })
    if (!passcode) return showUnlock(notice, { passcode: 'Enter your offline passcode' }, email)
    const opened = await unlockWithPasscode(await emailHash(email), passcode)
    if (opened.error) return showUnlock(notice, { passcode: opened.error }, email)
    state.vault = opened.vault
    await loadFromVault()
    await afterUnlock()
  })
  show('Open your visits without signal',
    summary.length ? errorSummary(summary) : null,
    notice ? insetText(notice) : null,
    p(state.session.reason === 'signed_out'
      ? 'You are not signed in. You can still record visits with your offline passcode; sign in to send them.'
      : 'There is no signal. Enter your email address and offline passcode to record visits and see the ones waiting to send.'),
    form,
    state.session.reason === 'signed_out' ? signInLink : null)
}

// --- routing -----------------------------------------------------------------------------------------

async function route () {
  if (!state.vault || !state.vault.key) return showUnlock()
  await render()
  await updateBanner()
}

async function render () {
  const url = new URL(location.href)
  const params = url.searchParams
  try {
    if (url.pathname === urls.visitUrl) {
      const id = params.get('id')
      const section = params.get('section') || 'seen'
      if (params.get('child') && !id) return await startVisit(params.get('child'))
      if (section === 'outbox') return await showOutboxItem(id, params.get('confirm'))
      if (section === 'check') return await showCheck(id)
      return await showSection(id, section)
    }
    return await showHome({ fallback: !url.pathname.startsWith(urls.homeUrl), queued: params.get('queued') })
  } catch (error) {
    show('Sorry, there is a problem', p('This offline visit could not be opened. Nothing has been deleted.'), p(appLink('Go to your offline visits', urls.homeUrl)))
    throw error
  }
}

document.addEventListener('click', event => {
  const a = event.target.closest('a[data-app]')
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey) return
  event.preventDefault()
  const target = new URL(a.href)
  go(target.pathname + target.search).then(() => {
    const el = target.hash && document.getElementById(target.hash.slice(1))
    if (el) { el.focus(); el.scrollIntoView({ block: 'center' }) }
  })
})
window.addEventListener('popstate', () => route())
window.addEventListener('online', () => {
  refreshIfShowing()
  sync({ force: true })
})
window.addEventListener('offline', () => {
  refreshIfShowing()
  updateBanner()
})
window.addEventListener('pagehide', () => flushSave())
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flushSave() })

// --- home --------------------------------------------------------------------------------------------

function stateTag (entry) {
  switch (entry.state) {
    case 'queued': return tag('Waiting to send', 'blue')
    case 'signing': return tag('Sent, signature waiting', 'light-blue')
    case 'conflict': return tag('Conflict: check both versions', 'red')
    case 'correct': return tag('Answers need correcting', 'orange')
    case 'resign': return tag('Sign again', 'orange')
    default: return tag('Not accepted', 'red')
  }
}

function provisionalBlock (actions) {
  const immediate = actions.filter(a => a.severity === 'immediate')
  const nodes = [h('h2', { class: 'govuk-heading-m' }, 'Required actions worked out on this tablet (provisional)')]
  if (immediate.length) {
    nodes.push(warningText('Phone now. Do not wait for this visit to be sent: the action below must happen before you leave the home.'))
  }
  if (actions.length) {
    nodes.push(h('ul', { class: 'govuk-list' }, actions.map(a => h('li', { class: 'govuk-!-margin-bottom-4' },
      h('p', { class: 'govuk-body govuk-!-margin-bottom-1' }, h('strong', {}, `${a.id}: ${a.title}`), ' ',
        a.severity === 'immediate' ? tag('Immediate: phone now', 'red') : tag('Same day: phone today', 'orange'), ' ', tag('Provisional', 'grey')),
      p(a.reasons.join('. ') + '.', 'govuk-body-s govuk-!-margin-bottom-1'),
      p(a.action, 'govuk-body govuk-!-margin-bottom-1')))))
  } else {
    nodes.push(p('This tablet found no sign that needs action before you leave the home.'))
  }
  nodes.push(insetText('These are provisional: without signal, this tablet checks only the most urgent signs. The full checklist of required actions comes from the server after the visit is sent.'))
  return h('div', { class: 'app-offline-provisional' }, nodes)
}

async function showHome ({ fallback = false, queued = null } = {}) {
  const outbox = await state.vault.listOutbox()
  const drafts = (await state.vault.listDrafts()).sort((a, b) => (b.updatedAt || 0) - (a.updatedAt || 0))
  const children = (state.caseload && state.caseload.children) || []
  const nodes = []
  if (fallback) nodes.push(insetText('There is no signal, so the page you asked for cannot open. You can record visits here; they are sent when there is signal.'))
  // the visit just put in the outbox: its provisional actions stay on screen even once it has been sent
  const inOutbox = queued && outbox.find(e => e.id === queued)
  const just = inOutbox ? inOutbox.item : (state.justQueued && state.justQueued.body.id === queued ? state.justQueued : null)
  if (just) {
    nodes.push(h('div', { class: 'govuk-panel govuk-panel--confirmation' },
      h('h2', { class: 'govuk-panel__title' }, inOutbox ? 'Visit put in the outbox' : 'Visit sent'),
      h('div', { class: 'govuk-panel__body' }, inOutbox
        ? `Your visit to ${just.childName} will be sent when there is signal`
        : `Your visit to ${just.childName} has been sent and stored`)))
    nodes.push(provisionalBlock(just.provisional || []))
    if (!inOutbox) nodes.push(p(link(`See the full checklist of required actions on ${just.childName}’s page`, `/children/${encodeURIComponent(just.childId)}#actions`)))
  }
  nodes.push(h('h2', { class: 'govuk-heading-m' }, 'Waiting to send'))
  if (outbox.length) {
    nodes.push(h('table', { class: 'govuk-table app-table--responsive' },
      h('caption', { class: 'govuk-table__caption govuk-table__caption--s' }, `${pluralVisits(outbox.length)} on this tablet`),
      h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
        ['Child', 'Visit', 'Status'].map(t => h('th', { scope: 'col', class: 'govuk-table__header' }, t)))),
      h('tbody', { class: 'govuk-table__body' }, outbox.map(e => h('tr', { class: 'govuk-table__row' },
        h('td', { class: 'govuk-table__cell', 'data-label': 'Child' }, appLink(e.item.childName, visitHref(e.id, 'outbox'))),
        h('td', { class: 'govuk-table__cell', 'data-label': 'Visit' }, dateTimeWords(e.item.body.visited_at)),
        h('td', { class: 'govuk-table__cell', 'data-label': 'Status' }, stateTag(e), ' ', tag('Recorded offline', 'purple')))))))
    if (sessionMatches() && navigator.onLine) {
      nodes.push(button('Send now', { onclick: () => sync({ force: true }) }, 'govuk-button--secondary'))
    } else if (navigator.onLine && state.session.reason === 'signed_out') {
      nodes.push(p(link('Sign in to send them', urls.signInUrl)))
    }
  } else {
    nodes.push(p('Nothing is waiting to send.'))
  }
  if (drafts.length) {
    nodes.push(h('h2', { class: 'govuk-heading-m' }, 'Visits not finished'),
      h('ul', { class: 'govuk-list' }, drafts.map(d => h('li', {},
        appLink(`Carry on with the visit to ${d.childName}`, visitHref(d.id, d.section || 'seen')), ' ',
        h('span', { class: 'govuk-body-s app-muted' }, `saved ${dateTimeWords(new Date(d.updatedAt || d.createdAt).toISOString())}`)))))
  }
  nodes.push(h('h2', { class: 'govuk-heading-m', id: 'record-a-visit' }, 'Record a visit'))
  if (children.length) {
    const list = h('ul', { class: 'govuk-list', 'aria-labelledby': 'record-a-visit' }, children.map(c => h('li', { dataset: { name: `${c.given_name} ${c.family_name}`.toLowerCase() } },
      appLink(`${c.given_name} ${c.family_name}`, `${urls.visitUrl}?child=${encodeURIComponent(c.id)}`),
      h('span', { class: 'govuk-body-s app-muted' }, ` born ${dateWords(c.date_of_birth)}`))))
    const filter = h('input', { class: 'govuk-input govuk-!-width-two-thirds', id: 'child-filter', type: 'search', spellcheck: 'false', autocomplete: 'off' })
    filter.addEventListener('input', () => {
      const q = filter.value.trim().toLowerCase()
      for (const li of list.children) li.hidden = q && !li.dataset.name.includes(q)
    })
    nodes.push(h('div', { class: 'govuk-form-group' },
      h('label', { class: 'govuk-label govuk-label--s', for: 'child-filter' }, 'Find a child'),
      h('div', { class: 'govuk-hint', id: 'child-filter-hint' }, 'Choose the child to start recording a visit'), filter), list)
    if (state.caseload.generated_at) nodes.push(p(`Caseload kept on this tablet, encrypted, last updated ${dateTimeWords(state.caseload.generated_at)}.`, 'govuk-body-s app-muted'))
  } else {
    nodes.push(p('No children are kept on this tablet. Open this page with signal to download your team’s caseload.'))
  }
  nodes.push(h('h2', { class: 'govuk-heading-m' }, 'This tablet'))
  let othersWaiting = 0
  for (const profile of await allProfiles()) {
    if (profile.storeId !== state.vault.storeId) othersWaiting += await outboxCount(profile.storeId)
  }
  if (othersWaiting) {
    nodes.push(p(`${pluralVisits(othersWaiting)} recorded by someone else ${othersWaiting === 1 ? 'is' : 'are'} waiting on this tablet. Only the person who recorded ${othersWaiting === 1 ? 'it' : 'them'} can open and send ${othersWaiting === 1 ? 'it' : 'them'}: ask them to sign in here when there is signal. Do not clear the browser's data.`))
  }
  const ready = navigator.serviceWorker && navigator.serviceWorker.controller
  nodes.push(p(ready ? 'Ready to record visits without signal.' : 'Getting ready to record visits without signal. Keep this page open for a moment while there is signal.', 'govuk-body app-offline-ready'))
  const tools = h('div', { class: 'govuk-button-group' })
  if (state.vault.how === 'passcode') {
    tools.append(button('Lock my offline visits', { onclick: lockNow }, 'govuk-button--secondary'))
  } else if (sessionMatches()) {
    tools.append(button('Change my offline passcode', { onclick: () => showSetup() }, 'govuk-button--secondary'))
  }
  tools.append(link('Back to the caseload (needs signal)', urls.caseloadPageUrl))
  nodes.push(tools)
  show('Visits without signal', ...nodes)
}

if (navigator.serviceWorker) {
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    const ready = document.querySelector('.app-offline-ready')
    if (ready) ready.textContent = 'Ready to record visits without signal.'
  })
}

// --- recording a visit -------------------------------------------------------------------------------

async function startVisit (childId) {
  const child = childById(childId)
  if (!child) return go(urls.homeUrl, { replace: true })
  const draft = {
    id: crypto.randomUUID(),
    childId,
    childName: `${child.given_name} ${child.family_name}`,
    childDob: child.date_of_birth,
    values: { visited_at: nowForInput(), visitor_role: (state.me && state.me.visitorRole) || '' },
    carers: [],
    injuries: [],
    section: 'seen',
    createdAt: Date.now(),
    updatedAt: Date.now()
  }
  await state.vault.saveDraft(draft)
  go(visitHref(draft.id, 'seen'), { replace: true })
}

function scheduleSave (draft, immediate = false) {
  draft.updatedAt = Date.now()
  state.pendingSave = draft
  clearTimeout(state.saveTimer)
  if (immediate) return flushSave()
  state.saveTimer = setTimeout(flushSave, 250)
}

function flushSave () {
  clearTimeout(state.saveTimer)
  const draft = state.pendingSave
  state.pendingSave = null
  if (draft && state.vault && state.vault.key) return state.vault.saveDraft(draft)
  return Promise.resolve()
}

function sectionIndex (key) { return state.dictionary.sections.findIndex(s => s.key === key) }

// With no access, the pages about the home and the child are skipped, as on the page with signal
function noAccess (draft) {
  const rules = state.dictionary.no_access
  return Boolean(rules && rules.outcomes.includes(draft.values.access_outcome))
}

function skipped (draft, key) { return noAccess(draft) && state.dictionary.no_access.skips.includes(key) }

function nextSection (draft, key) {
  const sections = state.dictionary.sections
  for (let i = sectionIndex(key) + 1; i < sections.length; i++) if (!skipped(draft, sections[i].key)) return sections[i].key
  return null
}

function previousSection (draft, key) {
  const sections = state.dictionary.sections
  for (let i = sectionIndex(key) - 1; i >= 0; i--) if (!skipped(draft, sections[i].key)) return sections[i]
  return null
}

function rowsBlock (draft, form, { list, fields, name, title, addText, removeText, emptyText, errors }) {
  const block = h('div', {})
  block.append(h('h2', { class: 'govuk-heading-m' }, title))
  if (!draft[list].length) block.append(p(emptyText))
  // a mark's legend names where it is ("Mark 2: Left cheek"), as the page with signal does
  const site = fields.find(f => f.name === 'body_site')
  const siteLabels = new Map(site ? site.choices : [])
  draft[list].forEach((row, i) => {
    const where = siteLabels.get(row.body_site)
    const legend = `${removeText} ${i + 1}`.replace(/^Remove /, '').replace(/^./, c => c.toUpperCase()) + (where ? `: ${where}` : '')
    const fieldset = h('fieldset', { class: 'govuk-fieldset app-repeat', id: `${name}-${i + 1}` },
      h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s', id: `${name}-row-${i + 1}`, tabindex: '-1' }, legend))
    for (const f of fields) fieldset.append(renderField(f, row[f.name], { prefix: `${name}-${i}-`, error: errors[`${name}-${i}-${f.name}`] }))
    fieldset.append(button(`${removeText} ${i + 1}`, {
      onclick: () => {
        collect(draft, form)
        draft[list].splice(i, 1)
        scheduleSave(draft, true)
        renderSection(draft, draft.section, {}, { focus: false })
      }
    }, 'govuk-button--warning'))
    block.append(fieldset)
  })
  block.append(button(addText, {
    onclick: () => {
      collect(draft, form)
      draft[list].push({})
      scheduleSave(draft, true)
      renderSection(draft, draft.section, {}, { focus: false })
      const first = document.getElementById(`${name}-${draft[list].length - 1}-${fields[0].name}`)
      if (first) first.focus()
    }
  }, 'govuk-button--secondary'))
  return block
}

// The body map (#15): the server's drawing of each view, whose regions are buttons that add a mark there, and
// a list of the regions for a keyboard or switch. The marks so far are numbered on the drawing.
const SVG_NS = 'http://www.w3.org/2000/svg'

function bodyMap (draft, form) {
  const map = state.dictionary.body_map
  const addMark = (site, view) => {
    collect(draft, form)
    draft.injuries.push({ body_site: site, map_view: view })
    scheduleSave(draft, true)
    renderSection(draft, draft.section, {}, { focus: false })
    const legend = document.getElementById(`injuries-row-${draft.injuries.length}`)
    if (legend) {
      legend.closest('fieldset').scrollIntoView()
      legend.focus()
    }
  }
  const views = h('div', { class: 'app-bodymap__views' })
  for (const view of map.views) {
    const drawing = new DOMParser().parseFromString(view.svg, 'image/svg+xml').documentElement
    const svg = document.importNode(drawing, true)
    svg.addEventListener('click', event => {
      const region = event.target.closest('button[data-site]')
      if (region) addMark(region.dataset.site, region.dataset.view)
    })
    drawMarks(svg, view.key, draft.injuries, map)
    views.append(h('figure', { class: `app-bodymap__view app-bodymap__view--${view.key}` }, svg,
      h('figcaption', { class: 'govuk-body-s app-bodymap__caption' }, h('strong', {}, view.title), h('br'), view.note)))
  }
  const sites = state.dictionary.injury_fields.find(f => f.name === 'body_site').choices
  const select = h('select', { class: 'govuk-select', id: 'bodymap_site', 'aria-describedby': 'bodymap_site-hint' },
    [h('option', { value: '' }, 'Choose a place on the body'), ...sites.map(([value, label]) => h('option', { value }, label))])
  const hint = h('div', { class: 'govuk-hint', id: 'bodymap_site-hint' }, 'For a keyboard or switch: choose the place, then add the mark')
  const group = h('div', { class: 'govuk-form-group app-bodymap__list' },
    h('label', { class: 'govuk-label govuk-label--s', for: 'bodymap_site' }, 'Or choose where the mark is from a list'), hint, select)
  const fromList = () => {
    if (select.value) return addMark(select.value, map.default_views[select.value])
    // nothing chosen adds nothing: say what to do beside the list, as the page with signal does
    if (!group.querySelector('.govuk-error-message')) {
      group.classList.add('govuk-form-group--error')
      select.classList.add('govuk-select--error')
      select.setAttribute('aria-describedby', 'bodymap_site-hint bodymap_site-error')
      hint.after(h('p', { class: 'govuk-error-message', id: 'bodymap_site-error' },
        h('span', { class: 'govuk-visually-hidden' }, 'Error:'), ' Choose where the mark is from the list, then select ‘Add a mark here’'))
    }
    select.focus()
  }
  const container = h('div', { class: 'app-bodymap', id: 'body-map' },
    p('Tap where the mark is to add it, then describe it below. Marks already added are numbered on the diagrams.'),
    views,
    group)
  group.append(button('Add a mark here', { onclick: fromList }, 'govuk-button--secondary app-bodymap__add'))
  return container
}

function drawMarks (svg, viewKey, injuries, map) {
  // a mark is drawn on the view it was placed on if that view shows its site, else on the site's default view
  const inRegion = new Map()
  injuries.forEach((mark, i) => {
    if (!mark.body_site) return
    const placed = mark.map_view && (map.view_sites[mark.map_view] || []).includes(mark.body_site)
    if ((placed ? mark.map_view : map.default_views[mark.body_site]) !== viewKey) return
    const region = svg.querySelector(`rect[data-site="${CSS.escape(mark.body_site)}"]`)
    if (!region) return
    if (!inRegion.has(region)) inRegion.set(region, [])
    inRegion.get(region).push(i + 1)
  })
  for (const [region, numbers] of inRegion) {
    const [x, y, w, hgt] = ['x', 'y', 'width', 'height'].map(a => Number(region.getAttribute(a)))
    numbers.forEach((n, k) => {
      const cx = x + w * (k + 1) / (numbers.length + 1)
      const cy = y + hgt / 2
      const g = document.createElementNS(SVG_NS, 'g')
      g.setAttribute('class', 'bm-mark')
      g.setAttribute('aria-hidden', 'true')
      const circle = document.createElementNS(SVG_NS, 'circle')
      for (const [a, v] of [['cx', cx], ['cy', cy], ['r', 9]]) circle.setAttribute(a, String(v))
      const text = document.createElementNS(SVG_NS, 'text')
      for (const [a, v] of [['x', cx], ['y', cy + 4], ['text-anchor', 'middle']]) text.setAttribute(a, String(v))
      text.textContent = String(n)
      g.append(circle, text)
      svg.append(g)
    })
  }
}

function collect (draft, form) {
  const section = draft.section
  Object.assign(draft.values, readFields(form, fieldsOf(section)))
  if (section === 'seen') draft.carers = draft.carers.map((_, i) => readFields(form, state.dictionary.carer_fields, `carers_present-${i}-`))
  if (section === 'injuries') draft.injuries = draft.injuries.map((_, i) => readFields(form, state.dictionary.injury_fields, `injuries-${i}-`))
}

async function showSection (id, key) {
  const draft = id && await state.vault.getDraft(id)
  if (!draft) {
    if (id && await state.vault.getOutbox(id)) return go(visitHref(id, 'outbox'), { replace: true })
    return go(urls.homeUrl, { replace: true })
  }
  if (sectionIndex(key) < 0) return go(visitHref(id, 'seen'), { replace: true })
  if (draft.section !== key) {
    draft.section = key
    scheduleSave(draft, true)
  }
  renderSection(draft, key, {})
}

function renderSection (draft, key, errors, { focus = true } = {}) {
  const sections = state.dictionary.sections
  const index = sectionIndex(key)
  const section = sections[index]
  const form = h('form', { novalidate: true, class: 'app-offline-form' })
  for (const f of fieldsOf(key)) form.append(renderField(f, draft.values[f.name], { error: errors[f.name] }))
  if (key === 'seen') {
    form.append(rowsBlock(draft, form, { list: 'carers', fields: state.dictionary.carer_fields, name: 'carers_present', title: 'People present', addText: 'Add a person present', removeText: 'Remove person', emptyText: 'No one added yet.', errors }))
  }
  if (key === 'injuries') {
    if (state.dictionary.body_map) form.append(bodyMap(draft, form))
    form.append(rowsBlock(draft, form, { list: 'injuries', fields: state.dictionary.injury_fields, name: 'injuries', title: 'Marks and injuries seen', addText: 'Add a mark or injury', removeText: 'Remove mark', emptyText: 'No marks added. If you saw none, leave this empty.', errors }))
  }
  form.append(h('div', { class: 'govuk-button-group' },
    h('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Save and continue'),
    button('Save and come back later', {
      onclick: async () => {
        collect(draft, form)
        await scheduleSave(draft, true)
        go(urls.homeUrl)
      }
    }, 'govuk-button--secondary')))
  const onEdit = () => { collect(draft, form); scheduleSave(draft) }
  form.addEventListener('input', onEdit)
  form.addEventListener('change', onEdit)
  form.addEventListener('submit', async event => {
    event.preventDefault()
    collect(draft, form)
    const child = { date_of_birth: draft.childDob }
    const found = checkVisit(state.dictionary, draft, child, [key]).errors
    if (found.length) {
      await scheduleSave(draft, true)
      renderSection(draft, key, Object.fromEntries(found.map(e => [e.key, e.text])))
      return
    }
    draft.saved = Array.from(new Set([...(draft.saved || []), key]))
    const following = nextSection(draft, key)
    draft.section = following || 'check'
    await scheduleSave(draft, true)
    go(visitHref(draft.id, following || 'check'))
  })
  const summary = Object.entries(errors).map(([k, text]) => ({ text, href: '#' + k }))
  const previous = previousSection(draft, key)
  const content = [
    previous ? backLink('Back', visitHref(draft.id, previous.key)) : backLink('Back to your offline visits', urls.homeUrl),
    summary.length ? errorSummary(summary) : null,
    h('span', { class: 'govuk-caption-m' }, `Visit to ${draft.childName} · Section ${index + 1} of ${sections.length} · Recorded without signal`),
    p(`${section.description} Leave a question unanswered, or choose ‘Not observed’, if you did not see it: that is recorded as not observed, not as ‘No’.`),
    insetText('Saved on this tablet, encrypted, as you type. It is sent when you have finished the visit and there is signal.'),
    form
  ]
  if (!focus) state.quiet = true // a row added or removed: focus stays with the practitioner
  show(section.title, ...content)
}

// --- check, sign and queue ---------------------------------------------------------------------------

function answersFor (fields, row) {
  return fields.map(f => ({ key: f.question, value: answerWords(f, row[f.name]) }))
}

function sectionSummaries (draft, { change = true } = {}) {
  const nodes = []
  for (const section of state.dictionary.sections) {
    nodes.push(h('h2', { class: 'govuk-heading-m' }, section.title))
    const skip = skipped(draft, section.key)
    if (skip) {
      const outcome = fieldsOf('seen').find(f => f.name === 'access_outcome')
      nodes.push(p(`Skipped: ${answerWords(outcome, draft.values.access_outcome)}.`, 'govuk-body app-skipped'))
    }
    const rows = fieldsOf(section.key).filter(f => !skip || ![undefined, null, ''].includes(draft.values[f.name])).map(f => ({
      key: f.question,
      value: answerWords(f, draft.values[f.name]),
      action: change ? { text: 'Change', href: visitHref(draft.id, section.key) + '#' + f.name, hidden: f.question.toLowerCase(), dataset: { app: '1' } } : null
    }))
    if (rows.length) nodes.push(summaryList(rows, 'app-answers'))
    const extra = section.key === 'seen' ? ['carers', state.dictionary.carer_fields, 'Person'] : section.key === 'injuries' ? ['injuries', state.dictionary.injury_fields, 'Mark'] : null
    if (extra) {
      draft[extra[0]].forEach((row, i) => {
        nodes.push(h('h3', { class: 'govuk-heading-s' }, `${extra[2]} ${i + 1}`), summaryList(answersFor(extra[1], row), 'app-answers'))
      })
    }
  }
  return nodes
}

async function showCheck (id) {
  const draft = id && await state.vault.getDraft(id)
  if (!draft) return go(id ? visitHref(id, 'outbox') : urls.homeUrl, { replace: true })
  renderCheck(draft, {})
}

function renderCheck (draft, problems) {
  const { errors, body } = checkVisit(state.dictionary, draft, { date_of_birth: draft.childDob }, state.dictionary.sections.map(s => s.key))
  const summary = errors.map(e => ({ text: e.text, href: visitHref(draft.id, e.section) + '#' + e.key }))
  for (const [key, text] of Object.entries(problems)) summary.push({ text, href: '#' + key })
  const actions = provisionalActions(body, state.dictionary.provisional_rules)
  const canvas = h('canvas', { id: 'signature-pad', 'aria-label': 'Signature box: draw your signature with your finger or a stylus', role: 'img' })
  const declaration = h('div', { class: 'govuk-form-group' + (problems.declaration ? ' govuk-form-group--error' : '') },
    problems.declaration ? formGroupError(problems.declaration) : null,
    h('div', { class: 'govuk-checkboxes', 'data-module': 'govuk-checkboxes' },
      h('div', { class: 'govuk-checkboxes__item' },
        h('input', { class: 'govuk-checkboxes__input', id: 'declaration', name: 'declaration', type: 'checkbox', value: 'yes' }),
        h('label', { class: 'govuk-label govuk-checkboxes__label', for: 'declaration' },
          'I confirm this is an accurate record of the visit, made by me'))))
  const signatureGroup = h('div', { class: 'govuk-form-group' + (problems['signature-pad'] ? ' govuk-form-group--error' : '') },
    h('h2', { class: 'govuk-heading-m' }, 'Sign the record'),
    h('div', { class: 'govuk-hint', id: 'signature-hint' }, 'Draw your signature in the box. It is sent with the visit.'),
    problems['signature-pad'] ? formGroupError(problems['signature-pad']) : null,
    canvas,
    button('Clear the signature', { id: 'signature-clear' }, 'govuk-button--secondary'))
  const queueButton = button('Put the visit in the outbox', { id: 'queue-visit' })
  show(errors.length ? 'Check your answers' : 'Check your answers and sign',
    backLink('Back', visitHref(draft.id, state.dictionary.sections[state.dictionary.sections.length - 1].key)),
    summary.length ? errorSummary(summary) : null,
    h('span', { class: 'govuk-caption-m' }, `Visit to ${draft.childName} · Recorded without signal`),
    provisionalBlock(actions),
    ...sectionSummaries(draft),
    errors.length ? p('Correct the answers listed at the top of the page, then come back here to sign.') : h('div', {}, declaration, signatureGroup, queueButton))
  if (errors.length) return
  const pad = attachSignaturePad(canvas)
  document.getElementById('signature-clear').addEventListener('click', () => pad.clear())
  queueButton.addEventListener('click', async () => {
    const problemsNow = {}
    if (!document.getElementById('declaration').checked) problemsNow.declaration = 'Confirm the declaration to sign the record'
    if (pad.isEmpty()) problemsNow['signature-pad'] = 'Draw your signature in the box'
    if (Object.keys(problemsNow).length) return renderCheck(draft, problemsNow)
    queueButton.disabled = true
    const png = pad.toDataURL('image/png')
    const bytes = Uint8Array.from(atob(png.split(',')[1]), c => c.charCodeAt(0))
    const item = {
      body,
      signature: { png, sha256: await sha256Hex(bytes), declaration_accepted: true },
      childId: draft.childId,
      childName: draft.childName,
      draft,
      provisional: actions,
      queuedAt: new Date().toISOString()
    }
    state.pendingSave = null
    await state.vault.queue(item, draft.id)
    state.justQueued = { body: { id: body.id }, childId: draft.childId, childName: draft.childName, provisional: actions }
    go(`${urls.homeUrl}?queued=${encodeURIComponent(body.id)}`)
    if (navigator.onLine) sync()
  })
}

function attachSignaturePad (canvas) {
  canvas.style.display = 'block'
  canvas.style.width = '100%'
  canvas.style.maxWidth = '600px'
  canvas.style.height = '200px'
  canvas.style.border = '2px solid #0b0c0c'
  canvas.style.marginBottom = '15px'
  canvas.style.touchAction = 'none'
  canvas.style.background = '#ffffff'
  const ratio = Math.max(window.devicePixelRatio || 1, 1)
  canvas.width = canvas.offsetWidth * ratio
  canvas.height = canvas.offsetHeight * ratio
  canvas.getContext('2d').scale(ratio, ratio)
  return new window.SignaturePad(canvas, { penColor: '#0b0c0c', minWidth: 1, maxWidth: 3 })
}

// --- one visit in the outbox -------------------------------------------------------------------------

function bodyRows (fields, body) {
  return fields.map(f => ({ key: f.question, value: answerWords(f, body[f.name]) }))
}

function compareVersions (mine, theirs) {
  const differ = []
  const same = []
  for (const section of state.dictionary.sections) {
    for (const f of fieldsOf(section.key)) {
      const a = answerWords(f, mine[f.name])
      const b = theirs ? answerWords(f, theirs[f.name]) : 'Not known'
      const row = { key: f.question, value: h('span', {}, `On this tablet: ${a}`, h('br'), `On the server: ${b}`) }
      ;(a === b ? same : differ).push(row)
    }
  }
  const count = list => (list || []).length
  const nodes = [h('h3', { class: 'govuk-heading-s' }, `Answers that differ (${differ.length})`), summaryList(differ, 'app-answers')]
  nodes.push(p(`People present: ${count(mine.carers_present)} on this tablet, ${theirs ? count(theirs.carers_present) : 'not known'} on the server. Marks and injuries: ${count(mine.injuries)} on this tablet, ${theirs ? count(theirs.injuries) : 'not known'} on the server.`))
  nodes.push(h('details', { class: 'govuk-details' },
    h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, `Answers that are the same (${same.length})`)),
    h('div', { class: 'govuk-details__text' }, summaryList(same, 'app-answers'))))
  return nodes
}

async function showOutboxItem (id, confirm) {
  const entry = id && await state.vault.getOutbox(id)
  if (!entry) return go(urls.homeUrl, { replace: true })
  const item = entry.item
  const back = backLink('Back to your offline visits', urls.homeUrl)
  const caption = h('span', { class: 'govuk-caption-m' }, `Visit to ${item.childName} on ${dateTimeWords(item.body.visited_at)} · Recorded without signal`)
  const deleteMine = async () => {
    if (confirm !== 'delete') return go(visitHref(id, 'outbox') + '&confirm=delete')
    await state.vault.removeOutbox(id)
    await updateBanner()
    go(urls.homeUrl)
  }
  if (confirm === 'delete') {
    show('Delete your version of this visit?', back, caption,
      warningText('Only delete your version if the version on the server is the right record of this visit. This cannot be undone.'),
      h('div', { class: 'govuk-button-group' },
        button('Yes, delete my version', { onclick: deleteMine }, 'govuk-button--warning'),
        appLink('No, keep it', visitHref(id, 'outbox'))))
    return
  }
  if (entry.state === 'conflict') {
    const conflict = item.conflict || {}
    show('This visit conflicts with one on the server', back, caption,
      p(`The server already holds a different visit under the same id, so your version was not sent and nothing was overwritten. The server said: ${conflict.message || 'conflict'}.`),
      p('Compare the two versions below, then choose what to do.'),
      h('h2', { class: 'govuk-heading-m' }, 'Both versions'),
      ...compareVersions(item.body, conflict.server),
      h('h2', { class: 'govuk-heading-m' }, 'What do you want to do?'),
      h('div', { class: 'govuk-button-group' },
        button('Send my version as a separate visit', {
          onclick: async () => {
            const copy = { ...item, body: { ...item.body, id: crypto.randomUUID() }, conflict: null, server: null }
            await state.vault.queue(copy, copy.body.id)
            await state.vault.removeOutbox(id)
            go(urls.homeUrl)
            sync({ force: true })
          }
        }),
        button('Delete my version', { onclick: deleteMine }, 'govuk-button--warning')))
    return
  }
  if (entry.state === 'correct') {
    const errs = Object.entries(item.errors || {}).map(([key, messages]) => {
      const name = key.split('-')[0]
      const f = state.dictionary.fields.find(x => x.name === name)
      const section = name === 'injuries' ? 'injuries' : name === 'carers_present' ? 'seen' : (f ? f.section : 'seen')
      return { text: [].concat(messages)[0], section, key }
    })
    show('Some answers need correcting', back, caption,
      p('The server did not accept this visit. Nothing was stored: correct these answers, then sign and put it in the outbox again.'),
      h('ul', { class: 'govuk-list govuk-list--bullet' }, errs.map(e => h('li', {}, e.text))),
      button('Correct the answers', {
        onclick: async () => {
          const draft = { ...item.draft, section: errs.length ? errs[0].section : 'seen', updatedAt: Date.now() }
          await state.vault.saveDraft(draft)
          await state.vault.removeOutbox(id)
          go(visitHref(draft.id, draft.section))
        }
      }))
    return
  }
  if (entry.state === 'resign') {
    const canvas = h('canvas', { id: 'signature-pad', 'aria-label': 'Signature box: draw your signature with your finger or a stylus', role: 'img' })
    show('Sign the visit again', back, caption,
      p(`The visit is stored on the server, but the signature was not accepted: ${item.signatureError || 'draw it again'}.`),
      h('div', { class: 'govuk-checkboxes govuk-form-group', 'data-module': 'govuk-checkboxes' },
        h('div', { class: 'govuk-checkboxes__item' },
          h('input', { class: 'govuk-checkboxes__input', id: 'declaration', type: 'checkbox', value: 'yes' }),
          h('label', { class: 'govuk-label govuk-checkboxes__label', for: 'declaration' }, 'I confirm this is an accurate record of the visit, made by me'))),
      canvas,
      button('Send the new signature', { id: 'resign' }))
    const pad = attachSignaturePad(canvas)
    document.getElementById('resign').addEventListener('click', async () => {
      if (pad.isEmpty() || !document.getElementById('declaration').checked) return
      const png = pad.toDataURL('image/png')
      await state.vault.updateOutbox(id, { state: 'signing', attempts: 0, nextAt: 0 }, { ...item, signature: { png, declaration_accepted: true }, signatureError: null })
      go(urls.homeUrl)
      sync({ force: true })
    })
    return
  }
  const nodes = [back, caption]
  if (entry.state === 'refused') {
    nodes.push(p(`The server did not accept this visit: ${item.refused}.`),
      h('div', { class: 'govuk-button-group' },
        button('Try sending it again', {
          onclick: async () => {
            await state.vault.updateOutbox(id, { state: 'queued', attempts: 0, nextAt: 0 })
            go(urls.homeUrl)
            sync({ force: true })
          }
        }),
        button('Delete my version', { onclick: deleteMine }, 'govuk-button--warning')))
  } else {
    nodes.push(p(entry.state === 'signing'
      ? 'The visit is stored on the server. Its signature is waiting to be sent.'
      : 'This visit is waiting to be sent. It stays on this tablet, encrypted, until the server has confirmed it.'))
    if (entry.attempts) nodes.push(p(`Tried ${entry.attempts} ${entry.attempts === 1 ? 'time' : 'times'}; next try ${entry.nextAt ? dateTimeWords(new Date(entry.nextAt).toISOString()) : 'when there is signal'}.`, 'govuk-body-s app-muted'))
  }
  nodes.push(provisionalBlock(item.provisional || []))
  for (const section of state.dictionary.sections) {
    nodes.push(h('h2', { class: 'govuk-heading-m' }, section.title), summaryList(bodyRows(fieldsOf(section.key), item.body), 'app-answers'))
  }
  show(entry.state === 'refused' ? 'The server did not accept this visit' : `Visit to ${item.childName}`, ...nodes)
}

boot().catch(error => {
  show('Sorry, there is a problem', p('The offline visits could not be opened. Nothing has been deleted. Try again, or sign in when you have signal.'))
  throw error
})
