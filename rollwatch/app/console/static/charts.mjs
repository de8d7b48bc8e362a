// The statistics pages' charts, drawn with Chart.js (from npm, /assets/chart.umd.min.js) from the
// table beside each chart, so a chart shows exactly the numbers of its table. Progressive
// enhancement: without JavaScript the tables are the figures, and the charts stay hidden.
// Colours are the Okabe-Ito palette (distinct under the common colour blindnesses); each series
// also has its own fill pattern, so no chart relies on colour alone.
const Chart = window.Chart
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9']
const HIGHLIGHT = '#D55E00'
const INK = '#0b0c0c'

// A fill for series `n`: plain, then stripes, dots, cross-hatch, ... over the series' colour.
// (Drawn here: patternomaly, the usual companion library, has had no release since 2017.)
function fill (colour, n) {
  const kind = n % 6
  if (kind === 0) return colour
  const size = 12
  const tile = document.createElement('canvas')
  tile.width = size
  tile.height = size
  const pen = tile.getContext('2d')
  pen.fillStyle = colour
  pen.fillRect(0, 0, size, size)
  pen.strokeStyle = 'rgba(255, 255, 255, 0.9)'
  pen.fillStyle = 'rgba(255, 255, 255, 0.9)'
  pen.lineWidth = 2
  pen.beginPath()
  if (kind === 1) { // diagonal stripes
    pen.moveTo(0, size); pen.lineTo(size, 0)
    pen.moveTo(-size / 2, size / 2); pen.lineTo(size / 2, -size / 2)
    pen.moveTo(size / 2, size * 1.5); pen.lineTo(size * 1.5, size / 2)
  } else if (kind === 2) { // dots
    pen.arc(size / 2, size / 2, 2, 0, 2 * Math.PI)
    pen.fill()
  } else if (kind === 3) { // cross-hatch
    pen.moveTo(0, 0); pen.lineTo(size, size)
    pen.moveTo(0, size); pen.lineTo(size, 0)
  } else if (kind === 4) { // horizontal lines
    pen.moveTo(0, size / 2); pen.lineTo(size, size / 2)
  } else { // vertical lines
    pen.moveTo(size / 2, 0); pen.lineTo(size / 2, size)
  }
  pen.stroke()
  return pen.createPattern(tile, 'repeat')
}

function numbers (row, column) {
  const cell = row.cells[column]
  const value = cell ? parseFloat(cell.dataset.value) : NaN
  return Number.isNaN(value) ? null : value
}

function draw (holder) {
  const table = document.getElementById(holder.dataset.chart)
  if (!table) return
  const headers = Array.from(table.tHead.rows[0].cells).map((cell) => cell.textContent.trim())
  const rows = Array.from(table.tBodies[0].rows)
  const labels = rows.map((row) => row.cells[0].textContent.trim())
  const series = holder.dataset.series.split(',').map(Number)
  const horizontal = holder.dataset.horizontal === 'yes'
  const highlight = holder.dataset.highlight ? Number(holder.dataset.highlight) : null
  const stacked = holder.dataset.stacked === 'yes' || highlight !== null
  const datasets = []
  series.forEach((column, n) => {
    const values = rows.map((row) => numbers(row, column))
    if (highlight === null) {
      datasets.push({ label: headers[column], data: values, backgroundColor: fill(COLOURS[n], n), borderColor: COLOURS[n], borderWidth: 1, stack: stacked ? 'bars' : `s${n}` })
      return
    }
    // The rows flagged in the highlight column are a series of their own, in their own fill.
    const flagged = rows.map((row) => row.cells[highlight].textContent.trim() === 'Yes')
    datasets.push({ label: headers[column], data: values.map((v, i) => flagged[i] ? null : v), backgroundColor: fill(COLOURS[0], 0), borderColor: COLOURS[0], borderWidth: 1, stack: 'bars' })
    datasets.push({ label: holder.dataset.highlightLabel, data: values.map((v, i) => flagged[i] ? v : null), backgroundColor: fill(HIGHLIGHT, 1), borderColor: HIGHLIGHT, borderWidth: 1, stack: 'bars' })
  })
  if (holder.dataset.average) {
    const average = parseFloat(holder.dataset.average)
    datasets.push({ type: 'line', label: `${holder.dataset.averageLabel} (${average})`, data: labels.map(() => average), borderColor: INK, borderDash: [6, 4], borderWidth: 2, pointRadius: 0, stack: 'average' })
  }
  const percent = holder.dataset.percent === 'yes'
  const valueAxis = { beginAtZero: true, stacked, ticks: { precision: 0, callback: (v) => percent ? `${v}%` : v } }
  const labelAxis = { stacked }
  holder.style.height = horizontal ? `${Math.max(160, 80 + 28 * labels.length)}px` : '320px'
  holder.hidden = false
  const canvas = holder.querySelector('canvas')
  return new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      plugins: { legend: { position: 'top', labels: { color: INK } } }
    }
  })
}

if (Chart) {
  Chart.defaults.font.family = '"GDS Transport", arial, sans-serif' // the GOV.UK pages' font
  Chart.defaults.font.size = 14
  Chart.defaults.color = INK
  document.querySelectorAll('[data-chart]').forEach(draw)
}
