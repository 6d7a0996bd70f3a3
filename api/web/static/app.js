// Page helpers with no inline script (the CSP forbids it): "select all" for bulk actions.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-select-all]")) {
    const name = box.getAttribute("data-select-all");
    box.addEventListener("change", () => {
      for (const item of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
        item.checked = box.checked;
      }
    });
  }
});
