// Home Visit Toolkit: progressive enhancement only. Every page works without JavaScript.
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js'

initAll()
