// Dosing record: keeps the timed checks current while the page stays open beside the client.
// A check with a due time moves from "Upcoming" to "Due now" (5 minutes before) to "Overdue"
// (once the due time has passed, for the 40-minute check), by the same rule as the server's
// (portal/dosing/rules.py), and a status line tells screen readers when a check falls due.
// Without JavaScript the server's text stands and a reload brings it up to date.
const list = document.getElementById("check-list");
const live = document.getElementById("check-live");
const MINUTE = 60 * 1000;
const BADGES = {
  upcoming: ["Upcoming", "badge check-badge"],
  due: ["Due now", "badge badge-warn check-badge"],
  overdue: ["Overdue", "badge badge-urgent check-badge"],
};

function stateAt(item, now) {
  const due = Date.parse(item.dataset.dueAt);
  const soon = Number(item.dataset.soonMs) || 0;
  if (now > due && item.dataset.canBeOverdue === "yes") return "overdue";
  if (now >= due - soon) return "due";
  return "upcoming";
}

function countdown(due, now) {
  const ms = now - due;
  const minutes = Math.ceil(Math.abs(ms) / MINUTE);
  const plural = minutes === 1 ? "" : "s";
  if (ms > 0) return `${minutes} minute${plural} overdue`;
  return minutes ? `in ${minutes} minute${plural}` : "now";
}

function update(item, now) {
  const state = stateAt(item, now);
  const counter = item.querySelector(".check-countdown");
  if (counter) {
    const shown = state === "upcoming" || item.dataset.canBeOverdue === "yes";
    counter.textContent = shown ? countdown(Date.parse(item.dataset.dueAt), now) : "";
  }
  if (item.dataset.state === state) return;
  const changed = item.dataset.state !== undefined;
  item.dataset.state = state;
  item.classList.remove("check-upcoming", "check-due", "check-overdue");
  item.classList.add(`check-${state}`);
  const badge = item.querySelector(".check-badge");
  if (badge) [badge.textContent, badge.className] = BADGES[state];
  const name = item.querySelector(".check-name")?.textContent ?? "A check";
  if (changed && live && state !== "upcoming") live.textContent = `${name}: ${BADGES[state][0]}.`;
}

function tick() {
  const now = Date.now();
  for (const item of list.querySelectorAll("li[data-due-at]")) update(item, now);
}

if (list) {
  tick();
  setInterval(tick, 15 * 1000);
}
