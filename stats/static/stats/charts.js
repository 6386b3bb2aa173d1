/* Draw every statistics chart from the JSON that the page renders beside its table.
   Small cells arrive as null values with the label "<5": they are drawn as empty bars
   and the label and tooltip say "<5". No inline script (CSP). */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var COLORS = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754", "#ffc107", "#0dcaf0"];
  var charts = [];

  function labelOf(series, index) {
    var text = series.labels[index];
    return text === "" ? "—" : text;
  }

  function tooltip(data) {
    return {
      trigger: data.kind === "pie" ? "item" : "axis",
      confine: true,
      formatter: function (params) {
        var list = Array.isArray(params) ? params : [params];
        var lines = [list[0].name];
        list.forEach(function (p) {
          var series = data.series[p.seriesIndex];
          lines.push(p.marker + series.name + "：" + labelOf(series, p.dataIndex));
        });
        return lines.join("<br>");
      }
    };
  }

  function barSeries(data, horizontal) {
    return data.series.map(function (series) {
      return {
        name: series.name,
        type: "bar",
        data: series.data.map(function (v) { return v === null ? 0 : v; }),
        barMaxWidth: 28,
        label: {
          show: data.series.length === 1,
          position: horizontal ? "right" : "top",
          fontSize: 11,
          formatter: function (p) { return labelOf(series, p.dataIndex); }
        }
      };
    });
  }

  function options(data, narrow) {
    var base = { color: COLORS, tooltip: tooltip(data), animation: false };
    // Rates (the column heading says %) are drawn on a 0-100 axis.
    var percent = data.series.every(function (s) { return s.name.indexOf("%") >= 0; });
    if (data.series.length > 1) { base.legend = { top: 0, type: "scroll" }; }
    if (data.kind === "pie") {
      var series = data.series[0];
      base.legend = { bottom: 0, type: "scroll" };
      base.series = [{
        type: "pie",
        radius: narrow ? ["30%", "58%"] : ["35%", "65%"],
        center: ["50%", "45%"],
        data: data.categories.map(function (name, i) {
          return { name: name, value: series.data[i] === null ? 0 : series.data[i] };
        }),
        label: { formatter: function (p) { return p.name + "\n" + labelOf(series, p.dataIndex); } }
      }];
      return base;
    }
    if (data.kind === "hbar") {
      base.grid = { left: 8, right: 48, top: data.series.length > 1 ? 28 : 8, bottom: 8, containLabel: true };
      base.xAxis = { type: "value", splitNumber: narrow ? 3 : 5, axisLabel: { hideOverlap: true } };
      if (percent) { base.xAxis.max = 100; }
      base.yAxis = {
        type: "category", inverse: true, data: data.categories,
        axisLabel: { width: narrow ? 96 : 180, overflow: "truncate", interval: 0 }
      };
      base.series = barSeries(data, true);
      return base;
    }
    base.grid = { left: 8, right: 16, top: data.series.length > 1 ? 32 : 24, bottom: 8, containLabel: true };
    base.xAxis = {
      type: "category", data: data.categories,
      axisLabel: { interval: 0, rotate: narrow || data.categories.length > 8 ? 40 : 0, hideOverlap: false }
    };
    base.yAxis = { type: "value", minInterval: 1 };
    if (percent) { base.yAxis.max = 100; }
    if (data.kind === "line") {
      base.series = data.series.map(function (series) {
        return {
          name: series.name, type: "line", smooth: false, symbolSize: 7,
          data: series.data, connectNulls: false,
          label: { show: !narrow, formatter: function (p) { return labelOf(series, p.dataIndex); } }
        };
      });
      base.yAxis.scale = true;
      return base;
    }
    base.series = barSeries(data, false);
    if (data.kind === "stacked") {
      base.series.forEach(function (s) { s.stack = "total"; s.label.show = false; });
    }
    return base;
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-source"));
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    if (data.kind === "hbar") {
      // Ranked bars: enough height for every category to stay legible on a phone.
      var perRow = 26 + 14 * (data.series.length - 1);
      element.style.height = Math.max(220, data.categories.length * perRow + 60) + "px";
    }
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(options(data, element.clientWidth < 480));
    charts.push(chart);
  }

  document.querySelectorAll(".stats-chart[data-source]").forEach(draw);
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
