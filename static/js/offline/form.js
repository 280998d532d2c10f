// The visit's questions, built from the data dictionary (GET /offline/dictionary.json), asked the way the
// server-rendered forms ask them, checked with the server's own messages, and turned into the API body.
//
// A draft keeps what was typed, as typed: values[name] is a string (radios, inputs) or a list (checkboxes);
// carers and injuries are lists of such rows. The API body is made only when the visit is put in the outbox.

import { h } from './ui.js'

export const NOT_OBSERVED = 'not_observed'

// --- rendering ------------------------------------------------------------------------------------

function hintAndError (id, f, error) {
  const described = []
  const parts = []
  if (f.hint) {
    parts.push(h('div', { class: 'govuk-hint', id: id + '-hint' }, f.hint))
    described.push(id + '-hint')
  }
  if (error) {
    parts.push(h('p', { class: 'govuk-error-message', id: id + '-error' },
      h('span', { class: 'govuk-visually-hidden' }, 'Error: '), error))
    described.push(id + '-error')
  }
  return { parts, described: described.join(' ') || null }
}

/** One question as a GOV.UK form group. prefix is '' for visit fields, 'injuries-0-' for a row's. */
export function renderField (f, value, { prefix = '', error = null } = {}) {
  const id = prefix + f.name
  const { parts, described } = hintAndError(id, f, error)
  const group = h('div', { class: 'govuk-form-group' + (error ? ' govuk-form-group--error' : '') })
  if (f.widget === 'radios' || f.widget === 'checkboxes') {
    const type = f.widget === 'radios' ? 'radio' : 'checkbox'
    const base = f.widget === 'radios' ? 'govuk-radios' : 'govuk-checkboxes'
    const chosen = Array.isArray(value) ? value : [value]
    const items = f.options.map(([optionValue, label], i) => {
      const itemId = i === 0 ? id : `${id}-${i + 1}`
      return h('div', { class: `${base}__item` },
        h('input', { class: `${base}__input`, id: itemId, name: id, type, value: optionValue, checked: chosen.includes(optionValue) }),
        h('label', { class: `govuk-label ${base}__label`, for: itemId }, label))
    })
    group.append(h('fieldset', { class: 'govuk-fieldset', 'aria-describedby': described },
      h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, f.question),
      ...parts,
      h('div', { class: `${base} ${f.classes || ''}`.trim(), 'data-module': base }, items)))
    return group
  }
  group.append(h('label', { class: 'govuk-label govuk-label--s', for: id }, f.question), ...parts)
  const errorClass = error ? (f.widget === 'select' ? ' govuk-select--error' : f.widget === 'textarea' ? ' govuk-textarea--error' : ' govuk-input--error') : ''
  if (f.widget === 'select') {
    group.append(h('select', { class: 'govuk-select' + errorClass, id, name: id, 'aria-describedby': described },
      f.options.map(([optionValue, label]) => h('option', { value: optionValue, selected: value === optionValue }, label))))
  } else if (f.widget === 'textarea') {
    const area = h('textarea', { class: 'govuk-textarea' + errorClass, id, name: id, rows: f.rows || 4, 'aria-describedby': described })
    area.value = value || ''
    group.append(area)
  } else {
    const input = h('input', {
      class: `govuk-input ${f.classes || ''}${errorClass}`.trim(),
      id,
      name: id,
      type: f.input_type || 'text',
      inputmode: f.inputmode || null,
      spellcheck: (f.kind === 'int' || f.kind === 'decimal') ? 'false' : null,
      'aria-describedby': described
    })
    input.value = value || ''
    if (f.suffix) {
      group.append(h('div', { class: 'govuk-input__wrapper' }, input,
        h('div', { class: 'govuk-input__suffix', 'aria-hidden': 'true' }, f.suffix)))
    } else {
      group.append(input)
    }
  }
  return group
}

/** What is typed in a form for these fields (as typed: strings, or lists for checkboxes). */
export function readFields (form, fields, prefix = '') {
  const out = {}
  for (const f of fields) {
    const name = prefix + f.name
    if (f.widget === 'checkboxes') {
      out[f.name] = Array.from(form.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`), i => i.value)
    } else if (f.widget === 'radios') {
      const checked = form.querySelector(`input[name="${CSS.escape(name)}"]:checked`)
      out[f.name] = checked ? checked.value : ''
    } else {
      const el = form.elements.namedItem(name)
      out[f.name] = el ? el.value : ''
    }
  }
  return out
}

// --- checking -------------------------------------------------------------------------------------

const isBlank = raw => raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '') || (Array.isArray(raw) && raw.length === 0)

function today () {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

function parseNumber (f, raw) {
  let text = String(raw).trim().replace(/,/g, '')
  for (const suffix of ['kg', 'cm', 'mm', '°c', 'c', 'days']) {
    if (text.toLowerCase().endsWith(suffix) && f.unit.toLowerCase().endsWith(suffix.replace('°', ''))) {
      text = text.slice(0, -suffix.length).trim()
    }
  }
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return { error: f.messages.invalid }
  const value = Number(text)
  if (f.kind === 'int') {
    if (!Number.isInteger(value)) return { error: f.messages.invalid }
  } else {
    const decimals = (text.split('.')[1] || '').replace(/0+$/, '').length
    if (decimals > f.places) return { error: f.messages.places }
  }
  if (f.unit === 'kg' && f.max !== null && value >= 100 && value / 1000 <= f.max) {
    return { error: `${value} kg cannot be a child's weight: it looks like grams. Enter ${f.noun} in kilograms, like ${(value / 1000).toFixed(2)}` }
  }
  if ((f.min !== null && value < f.min) || (f.max !== null && value > f.max)) return { error: f.messages.range }
  return { value }
}

/** The stored value of one answer, or the message saying what is wrong: {value} or {error}. */
export function parseAnswer (f, raw) {
  if (isBlank(raw)) {
    if (f.required) return { error: f.messages.required }
    return { value: null }
  }
  switch (f.kind) {
    case 'bool':
      if (raw === 'yes') return { value: true }
      if (raw === 'no') return { value: false }
      if (raw === NOT_OBSERVED) return { value: null }
      return { error: f.messages.invalid }
    case 'choice':
      if (raw === NOT_OBSERVED && !f.required) return { value: null }
      return f.choices.some(c => c[0] === raw) ? { value: raw } : { error: f.messages.invalid }
    case 'multi': {
      const items = Array.isArray(raw) ? raw : [raw]
      if (!items.every(i => f.choices.some(c => c[0] === i))) return { error: f.messages.invalid }
      if (items.includes('none') && items.length > 1) {
        const none = f.choices.find(c => c[0] === 'none')
        return { error: `Select ‘${none ? none[1] : 'none'}’ on its own, or the items you saw` }
      }
      return { value: f.choices.map(c => c[0]).filter(v => items.includes(v)) }
    }
    case 'int':
    case 'decimal':
      return parseNumber(f, raw)
    case 'text': {
      const text = String(raw).replace(/\r\n/g, '\n').trim()
      return text.length > f.max_length ? { error: f.messages.too_long } : { value: text }
    }
    case 'date': {
      const text = String(raw).trim()
      const d = new Date(text + 'T12:00:00')
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || isNaN(d) || d.toISOString().slice(0, 10) !== text) return { error: f.messages.invalid }
      if (text < '1900-01-01') return { error: f.messages.invalid }
      if (text > today()) return { error: f.messages.future }
      return { value: text }
    }
    case 'datetime': {
      const text = String(raw).trim()
      const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(text)
      if (!m) return { error: f.messages.invalid }
      const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5])
      if (isNaN(d) || d.getDate() !== +m[3]) return { error: f.messages.invalid }
      if (text.slice(0, 10) > today()) return { error: f.messages.future }
      return { value: withOffset(d) }
    }
  }
  return { error: 'Check this answer' }
}

/** A local date and time with its UTC offset, as the API wants it: 2026-11-26T10:30:00+00:00. */
function withOffset (d) {
  const pad = n => String(Math.abs(n)).padStart(2, '0')
  const offset = -d.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:00` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
}

export function nowForInput () {
  const d = new Date()
  const pad = n => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

function rowIsBlank (row) {
  return Object.values(row || {}).every(isBlank)
}

/**
 * Check what is typed. sections: the section keys to check (all for the whole visit).
 * Returns {errors: [{key, section, text}], body} where body is the API body (only meaningful with no errors).
 */
export function checkVisit (dictionary, draft, child, sections) {
  const errors = []
  const body = { id: draft.id, child_id: draft.childId }
  const wanted = new Set(sections)
  for (const f of dictionary.fields) {
    const result = parseAnswer(f, draft.values[f.name])
    if (result.error) {
      if (wanted.has(f.section)) errors.push({ key: f.name, section: f.section, text: result.error })
    } else if (result.value !== null && !(Array.isArray(result.value) && result.value.length === 0)) {
      body[f.name] = result.value
    }
  }
  const rows = (list, fields, name, section) => {
    const out = []
    ;(list || []).forEach((row, i) => {
      if (rowIsBlank(row)) return
      const clean = {}
      for (const f of fields) {
        const result = parseAnswer(f, row[f.name])
        if (result.error) {
          if (wanted.has(section)) errors.push({ key: `${name}-${i}-${f.name}`, section, text: result.error })
        } else if (result.value !== null) {
          clean[f.name] = result.value
        }
      }
      out.push(clean)
    })
    return out
  }
  body.carers_present = rows(draft.carers, dictionary.carer_fields, 'carers_present', 'seen')
  body.injuries = rows(draft.injuries, dictionary.injury_fields, 'injuries', 'injuries')
  // the server's cross checks (homevisit.validation.cross_checks)
  const cross = (key, section, text) => { if (wanted.has(section)) errors.push({ key, section, text }) }
  const access = body.access_outcome
  const noAccess = dictionary.no_access || { outcomes: [], not_seen: [] }
  if (body.child_seen === 'not_seen' && !body.child_not_seen_reason && access !== 'no_answer' && access !== 'refused_entry') {
    cross('child_not_seen_reason', 'seen', 'Enter why the child was not seen')
  }
  if (noAccess.not_seen.includes(access) && (body.child_seen === 'awake' || body.child_seen === 'asleep')) {
    cross('child_seen', 'seen', 'You said you did not see the child on this visit: choose ‘No, not seen’, or change your answer to ‘Did you get into the home and see the child?’')
  }
  if (access === 'seen_at_window' && body.child_seen === 'not_seen') {
    cross('child_seen', 'seen', 'You said the child was seen at a window or the door: choose whether they were awake or asleep')
  }
  if (noAccess.outcomes.includes(access) && !(body.access_attempts && body.access_attempts.length)) {
    cross('access_attempts', 'seen', 'Select what you tried, so the next person knows what has been done')
  }
  if (body.length_height_cm !== undefined && body.length_method === undefined) cross('length_method', 'weight', 'Select how length or height was measured')
  if ((body.disclosure === 'by_child' || body.disclosure === 'by_third_party') && !body.disclosure_details) {
    cross('disclosure_details', 'summary', 'Enter what was disclosed, and by whom')
  }
  if (body.visited_at && child && child.date_of_birth && body.visited_at.slice(0, 10) < child.date_of_birth) {
    cross('visited_at', 'seen', "The date of the visit must be on or after the child's date of birth")
  }
  const visitedOn = body.visited_at ? body.visited_at.slice(0, 10) : null
  body.injuries.forEach((mark, i) => {
    if (visitedOn && mark.first_noticed_date && mark.first_noticed_date > visitedOn) {
      cross(`injuries-${i}-first_noticed_date`, 'injuries', 'The date it was first noticed must be on or before the visit date')
    }
    if (visitedOn && mark.medical_help_date && mark.medical_help_date > visitedOn) {
      cross(`injuries-${i}-medical_help_date`, 'injuries', 'The date medical help was sought must be on or before the visit date')
    }
  })
  body.source = 'offline'
  return { errors, body }
}

// --- showing answers ------------------------------------------------------------------------------

/** An answer as words, for the check page and the conflict view. raw is as typed or as stored. */
export function answerWords (f, raw) {
  if (raw === true) raw = 'yes'
  if (raw === false) raw = 'no'
  if (isBlank(raw) || raw === NOT_OBSERVED) return f.required ? 'Not answered' : 'Not observed'
  if (f.widget === 'radios' || f.widget === 'select' || f.widget === 'checkboxes') {
    const items = Array.isArray(raw) ? raw : [raw]
    return items.map(v => (f.options.find(o => o[0] === v) || [v, String(v)])[1]).join(', ')
  }
  if (f.kind === 'datetime') {
    const d = new Date(raw)
    return isNaN(d) ? String(raw) : d.toLocaleString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit' })
  }
  return f.unit ? `${raw} ${f.unit}` : String(raw)
}
