// Building GOV.UK Frontend markup with the DOM (text always goes in as text, never as HTML).

export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue
    if (name === 'class') el.className = value
    else if (name === 'dataset') Object.assign(el.dataset, value)
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value)
    else if (value === true) el.setAttribute(name, '')
    else el.setAttribute(name, String(value))
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(el, child)
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

export const p = (text, cls = 'govuk-body') => h('p', { class: cls }, text)

export function button (text, attrs = {}, variant = '') {
  return h('button', { type: 'button', class: `govuk-button ${variant}`.trim(), 'data-module': 'govuk-button', ...attrs }, text)
}

export function link (text, href, attrs = {}) {
  return h('a', { class: 'govuk-link', href, ...attrs }, text)
}

export function tag (text, colour) {
  return h('strong', { class: `govuk-tag govuk-tag--${colour}` }, text)
}

export function insetText (...children) {
  return h('div', { class: 'govuk-inset-text' }, ...children)
}

export function warningText (text) {
  return h('div', { class: 'govuk-warning-text' },
    h('span', { class: 'govuk-warning-text__icon', 'aria-hidden': 'true' }, '!'),
    h('strong', { class: 'govuk-warning-text__text' }, h('span', { class: 'govuk-visually-hidden' }, 'Warning'), text))
}

export function notificationBanner (id, title, heading, body = [], success = false) {
  return h('div', {
    class: 'govuk-notification-banner' + (success ? ' govuk-notification-banner--success' : ''),
    role: 'region',
    'aria-labelledby': id + '-title',
    'data-module': 'govuk-notification-banner'
  },
  h('div', { class: 'govuk-notification-banner__header' },
    h('h2', { class: 'govuk-notification-banner__title', id: id + '-title' }, title)),
  h('div', { class: 'govuk-notification-banner__content' },
    h('p', { class: 'govuk-notification-banner__heading' }, heading), ...body))
}

/** The error summary: [{text, href}]. Focused, as GOV.UK Frontend does, so a screen reader announces it. */
export function errorSummary (errors) {
  const el = h('div', { class: 'govuk-error-summary', 'data-module': 'govuk-error-summary', tabindex: '-1' },
    h('div', { role: 'alert' },
      h('h2', { class: 'govuk-error-summary__title' }, 'There is a problem'),
      h('div', { class: 'govuk-error-summary__body' },
        h('ul', { class: 'govuk-list govuk-error-summary__list' },
          errors.map(e => h('li', {}, h('a', { href: e.href, dataset: e.href.startsWith('#') ? {} : { app: '1' } }, e.text)))))))
  el.addEventListener('click', event => {
    const a = event.target.closest('a')
    if (!a || !(a.getAttribute('href') || '').startsWith('#')) return // another page of the app: app.js goes there
    const target = document.getElementById(a.hash.slice(1))
    if (target) { event.preventDefault(); target.focus(); target.scrollIntoView({ block: 'center' }) }
  })
  return el
}

/** A summary list: rows of {key, value (text or node), action: {text, href, hidden}}. */
export function summaryList (rows, extraClass = '') {
  return h('dl', { class: `govuk-summary-list ${extraClass}`.trim() }, rows.map(row =>
    h('div', { class: 'govuk-summary-list__row' + (row.action ? '' : ' govuk-summary-list__row--no-actions') },
      h('dt', { class: 'govuk-summary-list__key' }, row.key),
      h('dd', { class: 'govuk-summary-list__value' }, row.value),
      row.action ? h('dd', { class: 'govuk-summary-list__actions' },
        h('a', { class: 'govuk-link', href: row.action.href, dataset: row.action.dataset || {} }, row.action.text,
          h('span', { class: 'govuk-visually-hidden' }, ' ' + row.action.hidden))) : null)))
}

export function pluralVisits (n) {
  return `${n} ${n === 1 ? 'visit' : 'visits'}`
}

const LONG_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })
const DATE_TIME = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hour12: true })

export function dateWords (iso) {
  if (!iso) return ''
  const d = new Date(iso.length === 10 ? iso + 'T12:00:00' : iso)
  return isNaN(d) ? iso : LONG_DATE.format(d)
}

export function dateTimeWords (iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return isNaN(d) ? iso : DATE_TIME.format(d).replace(' am', 'am').replace(' pm', 'pm')
}
