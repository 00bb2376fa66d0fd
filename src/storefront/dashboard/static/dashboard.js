// Draws the cache hit rate chart from the JSON the page embeds (no inline script: CSP allows 'self' only).
(function () {
  "use strict";
  var source = document.getElementById("hit-rates");
  var canvas = document.getElementById("hit-rate-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var series = JSON.parse(source.textContent || "{}");
  var palette = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f", "#be185d"];
  var datasets = Object.keys(series.rates || {}).map(function (prefix, index) {
    var colour = palette[index % palette.length];
    return {
      label: prefix,
      data: series.rates[prefix],
      borderColor: colour,
      backgroundColor: colour,
      spanGaps: true,
      tension: 0.2,
      pointRadius: 2
    };
  });
  var labels = series.labels || [];
  new Chart(canvas, {
    // Until the ring holds two samples there is one interval to show: bars read better than dots.
    type: labels.length > 1 ? "line" : "bar",
    data: { labels: labels, datasets: datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        y: { min: 0, max: 100, title: { display: true, text: "hit rate %" } },
        x: { title: { display: true, text: "minute (UTC)" } }
      },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
