// The room's panels (chat, safety, devices, help): side panels on a desktop, sheets over the
// lower part of the stage on a phone (CSS decides). One is open at a time; its control-bar
// button says so with aria-expanded. Escape or the panel's close button closes it and puts the
// focus back on that button.
const buttons = () => [...document.querySelectorAll("button[data-panel]")];

export function createPanels({ onOpen = () => {} } = {}) {
  let openId = null;

  function close() {
    if (!openId) return;
    const button = document.querySelector(`button[data-panel="${openId}"]`);
    document.getElementById(openId).hidden = true;
    button?.setAttribute("aria-expanded", "false");
    document.getElementById("room").dataset.openPanel = "";
    openId = null;
    return button;
  }

  function open(id, { focus = true } = {}) {
    if (openId === id) return;
    close();
    const panel = document.getElementById(id);
    if (!panel) return;
    panel.hidden = false;
    document.querySelector(`button[data-panel="${id}"]`)?.setAttribute("aria-expanded", "true");
    document.getElementById("room").dataset.openPanel = id;
    openId = id;
    if (focus) (panel.querySelector("input, select") || panel.querySelector("[data-close-panel]"))?.focus();
    onOpen(id);
  }

  const toggle = (id) => (openId === id ? close()?.focus() : open(id));

  buttons().forEach((b) => b.addEventListener("click", () => toggle(b.dataset.panel)));
  document.querySelectorAll("[data-close-panel]").forEach((b) => b.addEventListener("click", () => close()?.focus()));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && openId && !document.querySelector("dialog[open]")) close()?.focus();
  });

  return { open, close, toggle, isOpen: (id) => openId === id };
}
