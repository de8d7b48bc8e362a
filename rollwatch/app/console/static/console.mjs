// Progressive enhancement only: every page works without it.
import { initAll as initGovuk } from '/assets/govuk-frontend.min.js'
import { initAll as initMoj } from '/assets/moj-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initGovuk()
initMoj()
