/* Small progressive enhancements for every page (no inline script: the CSP forbids it). */
(function () {
  "use strict";

  // A list table marked .table-cards becomes cards on a phone (static/css/app.css): each cell
  // is headed by its column's title, taken from the table head once here.
  function labelCells(root) {
    root.querySelectorAll("table.table-cards").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var column = 0;
        Array.prototype.forEach.call(tr.children, function (cell) {
          if (!cell.hasAttribute("data-label") && heads[column] && !cell.hasAttribute("colspan")) {
            cell.setAttribute("data-label", heads[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    labelCells(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    labelCells(event.target);
  });
})();
