// Draw a signature with finger, stylus or mouse (signature_pad, pointer events), then post it as a PNG.
const canvas = document.getElementById('signature-pad')
const form = document.getElementById('sign-form')
const field = document.getElementById('signature_png')
const clear = document.getElementById('signature-clear')
const noJs = document.getElementById('signature-nojs')

if (canvas && form && window.SignaturePad) {
  noJs.hidden = true
  const pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: '#0b0c0c' })

  // Keep the drawing sharp on high-density screens and fit the box to the page width.
  const resize = () => {
    const data = pad.toData()
    const ratio = Math.max(window.devicePixelRatio || 1, 1)
    const width = canvas.parentElement.clientWidth
    canvas.width = width * ratio
    canvas.height = Math.round(width / 3) * ratio
    canvas.style.width = `${width}px`
    canvas.style.height = `${Math.round(width / 3)}px`
    canvas.getContext('2d').scale(ratio, ratio)
    pad.clear()
    pad.fromData(data)
  }
  window.addEventListener('resize', resize)
  resize()

  clear.addEventListener('click', () => {
    pad.clear()
    field.value = ''
  })
  form.addEventListener('submit', () => {
    field.value = pad.isEmpty() ? '' : pad.toDataURL('image/png')
  })
} else if (clear) {
  clear.hidden = true
}
