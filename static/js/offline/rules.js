// Provisional required actions, worked out on the tablet with no signal.
//
// The rules run on the server (homevisit/rules.toml, in Python) when the visit is sent. Offline, only the
// triggers that are a single observation and need action before leaving the home are checked here, so the
// practitioner is told to phone now instead of waiting for the visit to send. The titles and actions come
// from the server's rules in force (dictionary.json "provisional_rules"); the conditions mirror these:
//   R01 restraint_observed == true or ligature_mark              (immediate)
//   R05 limb_swelling or limb_not_used or pain_on_handling or suspected_fracture   (immediate)
//   R07 known_fractures >= 2 or fractures_different_ages or occult_fracture        (immediate)
//   R25 disclosure by the child or someone else                  (same day)
// The full checklist comes from the server after the visit is sent.

const LIMB_PARTS = ['upper_arm', 'forearm', 'wrist', 'hand', 'upper_leg', 'lower_leg', 'ankle', 'foot']

const CHECKS = {
  R01: v => {
    const reasons = []
    if (v.restraint_observed === true) reasons.push("The child's limbs were taped, tied or otherwise restrained")
    if ((v.injuries || []).some(i => i.type === 'ligature_mark' || i.pattern === 'ligature')) reasons.push('A ligature-like mark was recorded')
    return reasons
  },
  R05: v => {
    const marks = v.injuries || []
    const reasons = []
    if (marks.some(i => i.type === 'swelling' && LIMB_PARTS.some(p => String(i.body_site || '').endsWith(p)))) reasons.push('A swollen limb')
    if (v.limb_not_used === true) reasons.push('The child is not using an arm or leg')
    if (v.pain_on_handling === true) reasons.push('The child shows pain when handled')
    if (marks.some(i => i.type === 'suspected_fracture' || i.type === 'deformity')) reasons.push('A suspected fracture or deformity')
    return reasons
  },
  R07: v => {
    const reasons = []
    if ((v.known_fractures || 0) >= 2) reasons.push(`${v.known_fractures} known fractures`)
    if (v.fractures_different_ages === true) reasons.push('Fractures of different ages')
    if (v.occult_fracture === true) reasons.push('A hidden (occult) fracture')
    return reasons
  },
  R25: v => (v.disclosure === 'by_child' || v.disclosure === 'by_third_party') ? ['Someone disclosed harm to the child'] : []
}

/** The provisional actions a visit body raises: [{id, title, action, severity, reasons}]. */
export function provisionalActions (body, rules) {
  const out = []
  for (const rule of rules || []) {
    const check = CHECKS[rule.id]
    if (!check) continue
    const reasons = check(body)
    if (reasons.length) out.push({ ...rule, reasons })
  }
  return out
}
