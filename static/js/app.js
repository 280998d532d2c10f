// Home Visit Toolkit: progressive enhancement only. Every page works without JavaScript.
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js'

initAll()

// After a mark is added from the body map, move to it so the practitioner can describe it straight away.
const added = document.querySelector('[data-app-focus]')
if (added) {
  added.closest('fieldset').scrollIntoView()
  added.focus()
}
