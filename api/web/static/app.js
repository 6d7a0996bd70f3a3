// Page helpers with no inline script (the CSP forbids it): "select all" for bulk actions,
// and "add a row" for a form's repeating groups (without script, one blank row waits).
"use strict";

function selectAll(box) {
  const name = box.getAttribute("data-select-all");
  box.addEventListener("change", () => {
    for (const item of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
      item.checked = box.checked;
    }
  });
}

// A new row is a copy of the last one, emptied, its inputs renamed group.<row>.field.
function addRow(button) {
  const group = button.closest("[data-group]");
  const name = group.getAttribute("data-group");
  const max = Number(group.getAttribute("data-max"));
  const body = group.querySelector("tbody");
  button.hidden = false;
  button.addEventListener("click", () => {
    const rows = body.querySelectorAll("tr");
    if (rows.length >= max) {
      button.disabled = true;
      return;
    }
    const row = rows[rows.length - 1].cloneNode(true);
    const number = rows.length;
    row.setAttribute("data-row", String(number));
    for (const kept of row.querySelectorAll(".file, input[type=hidden]")) kept.remove();
    for (const input of row.querySelectorAll("input, select, textarea")) {
      const field = input.name.split(".").slice(2).join(".");
      input.name = `${name}.${number}.${field}`;
      const label = input.getAttribute("aria-label") || "";
      input.setAttribute("aria-label", label.replace(/\d+$/, String(number + 1)));
      if (input.tagName === "SELECT") input.selectedIndex = 0;
      else input.value = "";
    }
    body.appendChild(row);
    row.querySelector("input, select, textarea")?.focus();
    button.disabled = number + 1 >= max;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-select-all]")) selectAll(box);
  for (const button of document.querySelectorAll("[data-add-row]")) addRow(button);
});
