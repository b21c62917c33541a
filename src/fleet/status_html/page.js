// Sorting and filtering of the services table, from what the page already holds: each cell's
// text or data-sort value, each row's data-bundle and data-states. Nothing is parsed as HTML and
// nothing is fetched; without this script the table is simply complete and unsorted.
(function () {
  'use strict';
  var table = document.getElementById('services');
  var form = document.getElementById('filters');
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById('filter-text');
  var bundle = document.getElementById('filter-bundle');
  var state = document.getElementById('filter-state');
  var shown = document.getElementById('shown');

  function filter() {
    var q = text.value.trim().toLowerCase();
    var b = bundle.value;
    var s = state.value;
    var n = 0;
    rows.forEach(function (row) {
      var states = (row.getAttribute('data-states') || '').split(' ');
      var ok = (!q || row.textContent.toLowerCase().indexOf(q) !== -1) &&
        (!b || row.getAttribute('data-bundle') === b) &&
        (!s || states.indexOf(s) !== -1);
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
  }

  function key(row, column, type) {
    var cell = row.cells[column];
    var v = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
    return type === 'number' ? Number(v) : v.toLowerCase();
  }

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = th.textContent;
    th.textContent = '';
    th.appendChild(button);
    button.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var type = th.getAttribute('data-type');
      // Stable: equal keys keep the page's order (repository order of the run).
      var order = rows.map(function (row, i) { return { row: row, i: i, k: key(row, column, type) }; });
      order.sort(function (a, b) {
        var c = a.k < b.k ? -1 : (a.k > b.k ? 1 : 0);
        return (ascending ? c : -c) || a.i - b.i;
      });
      order.forEach(function (o) { body.appendChild(o.row); });
    });
  });

  [text, bundle, state].forEach(function (control) {
    control.addEventListener('input', filter);
    control.addEventListener('change', filter);
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.hidden = false;
  filter();
}());
