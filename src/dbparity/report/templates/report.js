// An improvement on a page that works without it: the filters (suites, backends, only
// differences), the cell detail panel, opening the suite of a linked case, and opening every
// suite before printing. The filter state lives in the URL fragment, e.g.
// #suite=crud&backend=sqlite-memory%40SQLite%203.40.1, so a filtered view can be linked; a
// fragment without "=" is an anchor (#case-crud.insert) and is left to the browser.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-filter]"));
  var onlyDifferences = document.getElementById("only-differences");
  var showing = document.getElementById("showing");
  var detail = document.getElementById("detail");
  var suites = Array.prototype.slice.call(document.querySelectorAll("details.suite"));

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
    document.querySelectorAll("#summary [data-col], #matrix [data-col], #differences [data-col]").forEach(function (el) {
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
    suites.forEach(function (suite) {
      var any = Boolean(suite.querySelector("tr[data-case]:not([hidden])"));
      suite.hidden = !any;
      if (onlyDifferences.checked && any) { suite.open = true; }
    });
    showing.textContent = "Showing " + shown + " of " + total + " cases.";
  }

  function saveState() {
    var parts = [];
    var suiteValues = checkedValues("suite");
    var backends = checkedValues("backend");
    if (suiteValues.length !== boxes.filter(function (b) { return b.dataset.filter === "suite"; }).length) {
      parts.push("suite=" + suiteValues.join(","));
    }
    if (backends.length !== boxes.filter(function (b) { return b.dataset.filter === "backend"; }).length) {
      parts.push("backend=" + backends.join(","));
    }
    if (onlyDifferences.checked) { parts.push("only=differences"); }
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }

  function loadState() {
    var hash = location.hash.replace(/^#/, "");
    if (!/^(suite|backend|only)=/.test(hash)) { return; }
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

  function revealTarget() {
    var id = decodeURIComponent(location.hash.replace(/^#/, ""));
    var target = id && document.getElementById(id);
    var suite = target && target.closest("details.suite");
    if (suite && !suite.open) {
      suite.open = true;
      target.scrollIntoView();
    }
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
  var matrix = document.getElementById("matrix");
  matrix.addEventListener("click", function (event) {
    var cell = event.target.closest("td[data-outcome]");
    if (cell && !event.target.closest("a")) { showDetail(cell); }
  });
  matrix.addEventListener("keydown", function (event) {
    var cell = event.target.closest("td[data-outcome]");
    if (cell && event.key === "Enter") { showDetail(cell); }
  });
  document.getElementById("detail-close").addEventListener("click", function () { detail.hidden = true; });
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = suites.filter(function (suite) { return !suite.open; });
    closed.forEach(function (suite) { suite.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (suite) { suite.open = false; });
  });
  window.addEventListener("hashchange", revealTarget);
  form.hidden = false;
  loadState();
  apply();
  revealTarget();
}());
