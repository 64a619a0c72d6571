// Latchkey: search, sort and filter for small tables (the Secrets &
// Certificates tab's secrets, at most a few dozen rows), in the browser.
//
// Progressive enhancement: without JavaScript the table is simply complete
// and its toolbar stays hidden. Everything is driven by data attributes
// (the CSP is script-src 'self'):
//
//   <div data-table-tools="TABLE-ID" hidden>  the toolbar; shown by this
//     <input data-table-search>               keeps rows whose
//                                             data-search contains the text
//     <select data-table-filter>              keeps rows whose data-status
//                                             equals the value ("" = all)
//     <el data-table-count>                   "N of M shown"
//     <el data-table-empty hidden>            shown when nothing matches
//   <th data-sort="KEY" [data-sort-type=number]>  a header button sorts by
//                                             each row's data-KEY; aria-sort
//                                             says how; empty values last
(function () {
  "use strict";

  function rowsOf(table) {
    return Array.prototype.slice.call(table.tBodies[0] ? table.tBodies[0].rows : []);
  }

  function compare(a, b, key, numeric) {
    var x = a.getAttribute("data-" + key) || "";
    var y = b.getAttribute("data-" + key) || "";
    // Never expired or never used sorts after every date, either way.
    if (x === "" || y === "") {
      return x === y ? 0 : x === "" ? 1 : -1;
    }
    if (numeric) {
      return Number(x) - Number(y);
    }
    return x.localeCompare(y, undefined, { sensitivity: "base", numeric: true });
  }

  function apply(tools, table) {
    var search = tools.querySelector("[data-table-search]");
    var filter = tools.querySelector("[data-table-filter]");
    var q = search ? search.value.trim().toLowerCase() : "";
    var status = filter ? filter.value : "";
    var rows = rowsOf(table);
    var shown = 0;
    rows.forEach(function (tr) {
      var text = (tr.getAttribute("data-search") || "").toLowerCase();
      var ok = text.indexOf(q) !== -1 && (status === "" || tr.getAttribute("data-status") === status);
      tr.hidden = !ok;
      if (ok) {
        shown++;
      }
    });
    var count = tools.querySelector("[data-table-count]");
    if (count) {
      count.textContent = shown === rows.length ? rows.length + " shown" : shown + " of " + rows.length + " shown";
    }
    var empty = document.querySelector('[data-table-empty="' + table.id + '"]');
    if (empty) {
      empty.hidden = shown !== 0;
    }
  }

  function sortBy(table, th) {
    var key = th.getAttribute("data-sort");
    var numeric = th.getAttribute("data-sort-type") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (other) {
      other.removeAttribute("aria-sort");
      other.querySelector("[data-sort-arrow]").textContent = "";
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    th.querySelector("[data-sort-arrow]").textContent = ascending ? " ↑" : " ↓";
    var body = table.tBodies[0];
    rowsOf(table)
      .sort(function (a, b) {
        var c = compare(a, b, key, numeric);
        return ascending || c === 0 ? c : -c;
      })
      .forEach(function (tr) {
        body.appendChild(tr);
      });
  }

  function enhance(root) {
    var all = (root || document).querySelectorAll("[data-table-tools]");
    Array.prototype.forEach.call(all, function (tools) {
      var table = document.getElementById(tools.getAttribute("data-table-tools"));
      if (!table || tools.getAttribute("data-enhanced") === "true") {
        return;
      }
      tools.setAttribute("data-enhanced", "true");
      tools.hidden = false;
      Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (th) {
        var button = document.createElement("button");
        button.type = "button";
        // Classes the templates use already, so the built CSS has them.
        button.className = "link font-semibold uppercase";
        while (th.firstChild) {
          button.appendChild(th.firstChild);
        }
        var arrow = document.createElement("span");
        arrow.setAttribute("data-sort-arrow", "");
        arrow.setAttribute("aria-hidden", "true");
        button.appendChild(arrow);
        th.appendChild(button);
        button.addEventListener("click", function () {
          sortBy(table, th);
        });
      });
      tools.addEventListener("input", function () {
        apply(tools, table);
      });
      tools.addEventListener("change", function () {
        apply(tools, table);
      });
      // Enter in the search field must not submit anything.
      tools.addEventListener("submit", function (e) {
        e.preventDefault();
      });
      apply(tools, table);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:load", function (e) {
    enhance(e.target);
  });
})();
