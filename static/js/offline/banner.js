// The offline status banner (the #offline-status container in base.html), shared by every page.

import { h, link, notificationBanner, pluralVisits } from './ui.js'

/**
 * state: {waiting, attention, needsSignIn, sending, noSignal, signInUrl, appUrl (a link to the outbox, or
 * null on the offline app itself), showAllSent, extra (nodes)}.
 */
export function renderBanner (el, state) {
  if (!el) return
  const { waiting = 0, attention = 0, needsSignIn = false, sending = false, noSignal = false } = state
  if (waiting > 0) {
    const lines = []
    if (needsSignIn) {
      lines.push(h('p', { class: 'govuk-body' }, 'Your session has ended, so they cannot be sent. Nothing has been lost: ',
        link('sign in again to send them', state.signInUrl || '/sign-in?next=/offline/', { class: 'govuk-notification-banner__link' }), '.'))
    } else if (noSignal) {
      lines.push(h('p', { class: 'govuk-body' }, 'They are kept on this tablet, encrypted, and will be sent when there is signal.'))
    } else if (sending) {
      lines.push(h('p', { class: 'govuk-body' }, 'Sending now, one visit at a time.'))
    } else if (waiting > attention) {
      lines.push(h('p', { class: 'govuk-body' }, 'They will be sent automatically. If the signal is weak this can take a few minutes.'))
    }
    if (attention > 0) {
      lines.push(h('p', { class: 'govuk-body' }, `${pluralVisits(attention)} ${attention === 1 ? 'needs' : 'need'} your attention before ${attention === 1 ? 'it' : 'they'} can be sent.`))
    }
    if (state.appUrl) {
      lines.push(h('p', { class: 'govuk-body' }, link('See the visits waiting to send', state.appUrl, { class: 'govuk-notification-banner__link' })))
    }
    el.replaceChildren(notificationBanner('offline-status', 'Offline recording',
      `Offline: ${pluralVisits(waiting)} waiting to send`, [...lines, ...(state.extra || [])]))
    el.hidden = false
  } else if (state.showAllSent) {
    el.replaceChildren(notificationBanner('offline-status', 'Offline recording', 'All visits sent',
      [...(state.extra || [])], true))
    el.hidden = false
  } else {
    el.replaceChildren()
    el.hidden = true
  }
}

export function registerServiceWorker () {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null)
  return navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' }).catch(() => null)
}
