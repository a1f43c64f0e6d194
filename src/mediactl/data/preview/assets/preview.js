// The index's filters: show the rows whose state, channel and severity match the chosen values.
"use strict";
(function () {
  const form = document.getElementById("filters");
  const rows = Array.from(document.querySelectorAll("tr.variant-row"));
  const shown = document.getElementById("shown");
  function apply() {
    const wanted = Object.fromEntries(new FormData(form));
    let count = 0;
    for (const row of rows) {
      const match = ["state", "channel", "severity"].every((key) => !wanted[key] || row.dataset[key] === wanted[key]);
      row.hidden = !match;
      count += match ? 1 : 0;
    }
    shown.textContent = count + " / " + rows.length;
  }
  form.addEventListener("change", apply);
  apply();
})();
