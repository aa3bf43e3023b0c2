// Filters (suites, backends, only differences) and the cell detail panel. The filter state
// lives in the URL fragment, e.g. #suite=crud&backend=sqlite-memory%40SQLite%203.40.1, so a
// filtered view can be linked; a listed suite or backend is shown and the others are hidden.
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-filter]"));
  var onlyDifferences = document.getElementById("only-differences");
  var showing = document.getElementById("showing");
  var detail = document.getElementById("detail");

  function unchecked(kind) {
    var hidden = {};
    boxes.forEach(function (box) {
      if (box.dataset.filter === kind && !box.checked) { hidden[box.value] = true; }
    });
    return hidden;
  }

  function checkedValues(kind) {
    return boxes.filter(function (box) {
      return box.dataset.filter === kind && box.checked;
    }).map(function (box) { return encodeURIComponent(box.value); });
  }

  function apply() {
    var hiddenSuites = unchecked("suite");
    var hiddenColumns = unchecked("backend");
    document.querySelectorAll("#summary [data-col], #matrix [data-col]").forEach(function (el) {
      el.hidden = Boolean(hiddenColumns[el.dataset.col]);
    });
    var shown = 0;
    var total = 0;
    document.querySelectorAll("tr[data-case]").forEach(function (row) {
      var hide = Boolean(hiddenSuites[row.dataset.suite]) ||
        (onlyDifferences.checked && row.dataset.differs !== "true");
      row.hidden = hide;
      total += 1;
      if (!hide) { shown += 1; }
    });
    document.querySelectorAll("tbody[data-suite]").forEach(function (body) {
      body.hidden = !body.querySelector("tr[data-case]:not([hidden])");
    });
    showing.textContent = "Showing " + shown + " of " + total + " cases.";
  }

  function saveState() {
    var parts = [];
    var suites = checkedValues("suite");
    var backends = checkedValues("backend");
    if (suites.length !== boxes.filter(function (b) { return b.dataset.filter === "suite"; }).length) {
      parts.push("suite=" + suites.join(","));
    }
    if (backends.length !== boxes.filter(function (b) { return b.dataset.filter === "backend"; }).length) {
      parts.push("backend=" + backends.join(","));
    }
    if (onlyDifferences.checked) { parts.push("only=differences"); }
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }

  function loadState() {
    var hash = location.hash.replace(/^#/, "");
    if (!hash || hash.indexOf("=") < 0) { return; }
    hash.split("&").forEach(function (part) {
      var pair = part.split("=");
      var key = pair[0];
      var values = (pair[1] || "").split(",").filter(Boolean).map(decodeURIComponent);
      if (key === "suite" || key === "backend") {
        boxes.forEach(function (box) {
          if (box.dataset.filter === key) { box.checked = values.indexOf(box.value) >= 0; }
        });
      } else if (key === "only") {
        onlyDifferences.checked = values.indexOf("differences") >= 0;
      }
    });
  }

  function showDetail(cell) {
    var row = cell.closest("tr");
    document.getElementById("detail-case").textContent = row.dataset.case;
    document.getElementById("detail-col").textContent = cell.dataset.col;
    document.getElementById("detail-outcome").textContent = cell.dataset.label;
    document.getElementById("detail-reason").textContent = cell.dataset.reason || "No reason recorded.";
    detail.hidden = false;
  }

  boxes.concat([onlyDifferences]).forEach(function (box) {
    box.addEventListener("change", function () { apply(); saveState(); });
  });
  var matrix = document.querySelector("#matrix table");
  matrix.addEventListener("click", function (event) {
    var cell = event.target.closest("td[data-outcome]");
    if (cell && !event.target.closest("a")) { showDetail(cell); }
  });
  matrix.addEventListener("keydown", function (event) {
    var cell = event.target.closest("td[data-outcome]");
    if (cell && event.key === "Enter") { showDetail(cell); }
  });
  document.getElementById("detail-close").addEventListener("click", function () { detail.hidden = true; });
  loadState();
  apply();
}());
