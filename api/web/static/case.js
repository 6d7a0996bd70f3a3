// Draws the case's diagram with bpmn-js's viewer (served by the app) and marks the path:
// done, current and overdue steps, and the sequence flows taken between them.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const holder = document.getElementById("diagram");
  if (!holder || !window.BpmnJS) return;
  const response = await fetch(holder.dataset.source, { credentials: "same-origin" });
  if (!response.ok) return;
  const state = await response.json();
  holder.textContent = "";
  const viewer = new window.BpmnJS({ container: holder });
  try {
    await viewer.importXML(state.xml);
  } catch (error) {
    holder.textContent = String(error);
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const mark = (ids, marker) => {
    for (const id of ids) if (registry.get(id)) canvas.addMarker(id, marker);
  };
  mark(state.done, "pf-done");
  mark(state.current, "pf-current");
  mark(state.overdue, "pf-overdue");
  mark(state.flows, "pf-flow");
  canvas.zoom("fit-viewport");
  holder.dataset.ready = "true";
});
