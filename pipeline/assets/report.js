// The report's date filter (pipeline/report/page.py draws the page it runs in): redraws the article charts for the chosen dates
// from the counts per date step the page carries (#filter-data), and keeps the per-day chart's
// range slider and the two date fields in step with each other.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("filter-data").textContent);
  var since = document.getElementById("since");
  var until = document.getElementById("until");
  var days = null; // the per-day chart's div
  var following = false; // true while the slider, not the fields, moves the range

  // The first day of the step a day falls in, as pipeline.report.data.steps numbers them.
  function stepOf(day) {
    if (data.grain === "week") {
      var d = new Date(day + "T00:00:00Z");
      d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
      return d.toISOString().slice(0, 10);
    }
    return data.grain === "month" ? day.slice(0, 8) + "01" : day;
  }

  // Which steps are in: null for all of them and the undated articles (no bound set, as without
  // --since/--until), else one boolean per step.
  function chosen() {
    var from = since.value, to = until.value;
    if (!from && !to) return null;
    var first = from ? stepOf(from) : null;
    return data.steps.map(function (step) {
      return (!first || step >= first) && (!to || step <= to);
    });
  }

  // Each group's values summed over the chosen steps: one array per value column.
  function totals(chart, keep) {
    var width = chart.width, n = chart.keys.length, cells = chart.cells, sums = [];
    for (var j = 0; j < width; j++) sums.push(new Array(n).fill(0));
    for (var i = 0; i < cells.length; i += 2 + width) {
      var step = cells[i];
      if (keep && (step < 0 || !keep[step])) continue;
      for (var k = 0; k < width; k++) sums[k][cells[i + 1]] += cells[i + 2 + k];
    }
    return sums;
  }

  function biggestFirst(values) {
    return values
      .map(function (_, i) { return i; })
      .filter(function (i) { return values[i] > 0; })
      .sort(function (a, b) { return values[b] - values[a] || a - b; });
  }

  function nothing(shown) {
    return shown ? [] : [{ text: "Nothing in these dates", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }];
  }

  var redraw = {
    ranking: function (div, chart, keep) {
      var values = totals(chart, keep)[0];
      var order = biggestFirst(values).slice(0, chart.top);
      var labels = order.map(function (i) { return chart.keys[i]; });
      Plotly.update(
        div,
        {
          x: [order.map(function (i) { return values[i]; })],
          y: [order.map(function (i) { return chart.cut[i] || chart.keys[i]; })],
          hovertext: [labels],
        },
        { height: 120 + 22 * order.length, annotations: nothing(order.length) }
      );
    },
    columns: function (div, chart, keep) {
      var values = totals(chart, keep)[0];
      var shown = chart.keys.map(function (_, i) { return i; }).filter(function (i) { return values[i] > 0; });
      Plotly.update(
        div,
        { x: [shown.map(function (i) { return chart.keys[i]; })], y: [shown.map(function (i) { return values[i]; })] },
        { annotations: nothing(shown.length) }
      );
    },
    map: function (div, chart, keep) {
      var sums = totals(chart, keep), mentions = sums[0], articles = sums[1];
      var order = biggestFirst(mentions);
      var most = order.length ? mentions[order[0]] : 1;
      Plotly.update(
        div,
        {
          lat: [order.map(function (i) { return chart.lat[i]; })],
          lon: [order.map(function (i) { return chart.lon[i]; })],
          text: [order.map(function (i) {
            return chart.keys[i] + ": " + mentions[i].toLocaleString("en") + " mentions in " +
              articles[i].toLocaleString("en") + " articles";
          })],
          "marker.size": [order.map(function (i) { return 6 + 30 * Math.sqrt(mentions[i] / most); })],
        },
        { annotations: nothing(order.length) }
      );
    },
    days: function (div) {
      if (following) return;
      var range = null;
      if (since.value || until.value) {
        range = [(since.value || since.min) + " 00:00", (until.value || until.max) + " 23:59"];
      }
      Plotly.relayout(div, range ? { "xaxis.range": range } : { "xaxis.autorange": true });
    },
  };

  function apply() {
    var keep = chosen();
    Object.keys(data.charts).forEach(function (id) {
      var chart = data.charts[id];
      redraw[chart.kind](document.getElementById(id), chart, keep);
    });
  }

  // The slider's range, in whole days: a day is in when the range covers its noon.
  function followSlider(event) {
    var range = event["xaxis.range"] || (event["xaxis.range[0]"] && [event["xaxis.range[0]"], event["xaxis.range[1]"]]);
    if (event["xaxis.autorange"]) {
      since.value = until.value = "";
    } else if (range) {
      var first = new Date(String(range[0]).replace(" ", "T") + "Z");
      var last = new Date(String(range[1]).replace(" ", "T") + "Z");
      first.setUTCHours(first.getUTCHours() + 12);
      last.setUTCHours(last.getUTCHours() - 12);
      since.value = first.toISOString().slice(0, 10);
      until.value = last.toISOString().slice(0, 10);
    } else {
      return;
    }
    following = true;
    try { apply(); } finally { following = false; }
  }

  since.addEventListener("change", apply);
  until.addEventListener("change", apply);
  document.getElementById("all-dates").addEventListener("click", function () {
    since.value = until.value = "";
    apply();
  });
  Object.keys(data.charts).forEach(function (id) {
    if (data.charts[id].kind === "days") days = document.getElementById(id);
  });
  if (days && days.on) days.on("plotly_relayout", followSlider);
})();
