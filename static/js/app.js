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
      table.querySelectorAll("tbody tr, tfoot tr").forEach(function (tr) {
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

  // The birth date is written in the ID number (digits 7-14): fill it in as soon as a whole,
  // valid number is typed, unless the user has typed a birth date of their own. Only the
  // number typed on this page is read; nothing is sent anywhere.
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function birthFromId(value) {
    var number = (value || "").trim().toUpperCase();
    if (!/^\d{17}[\dX]$/.test(number)) return null;
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += parseInt(number.charAt(i), 10) * WEIGHTS[i];
    if (CHECK.charAt(sum % 11) !== number.charAt(17)) return null;
    var y = +number.substr(6, 4), m = +number.substr(10, 2), d = +number.substr(12, 2);
    var date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
    if (date > new Date()) return null;
    return number.substr(6, 4) + "-" + number.substr(10, 2) + "-" + number.substr(12, 2);
  }

  function wireBirthDates(root) {
    root.querySelectorAll("input[name$='id_number']").forEach(function (idInput) {
      if (idInput.dataset.birthWired) return;
      var prefix = idInput.name.slice(0, -"id_number".length);
      var form = idInput.form;
      var birth = form && form.querySelector("input[name='" + prefix + "birth_date']");
      if (!birth) return;
      idInput.dataset.birthWired = "1";
      birth.addEventListener("input", function () { birth.dataset.fromId = ""; });
      idInput.addEventListener("input", function () {
        var found = birthFromId(idInput.value);
        if (!found || (birth.value && birth.dataset.fromId !== "1")) return;
        if (birth.value === found) return;
        birth.value = found;
        birth.dataset.fromId = "1";
        birth.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  // A .table-fit table (statistics) becomes cards on a phone only when it is wider than its box.
  var PHONE = window.matchMedia("(max-width: 575.98px)");

  function fitTables(root) {
    root.querySelectorAll("table.table-fit").forEach(function (table) {
      table.classList.remove("table-cards");
      if (!PHONE.matches) return;
      var box = table.parentElement;
      if (table.scrollWidth > box.clientWidth + 1) table.classList.add("table-cards");
    });
  }

  // A box that still scrolls sideways (a wide table on a desk) must be reachable by keyboard.
  function focusableScrollers(root) {
    root.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
        if (!box.hasAttribute("role")) box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          var section = box.closest("section, .card, main");
          var heading = section && section.querySelector("h1, h2, h3, .card-header");
          box.setAttribute("aria-label", (heading ? heading.textContent.trim() + "：" : "") + "表格，可左右滚动");
        }
      }
    });
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    fitTables(document);
    labelCells(document);
    focusableScrollers(document);
    wireBirthDates(document);
  });
  if (PHONE.addEventListener) {
    PHONE.addEventListener("change", function () {
      fitTables(document);
      labelCells(document);
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    fitTables(event.target);
    labelCells(event.target);
    focusableScrollers(event.target);
    wireBirthDates(event.target);
  });
})();
