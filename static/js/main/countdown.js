// Client home: keeps "(in 2 days)" next to the next session current, and shows the join button
// when the video room opens (15 minutes before the start). Without JavaScript the server's text
// stands and a reload shows the button. The countdown is aria-live="off": it changes every
// minute and must not interrupt a screen reader.
const countdown = document.querySelector(".countdown[data-starts-at]");
const later = document.getElementById("join-later");
const open = document.getElementById("join-open");
const MINUTE = 60 * 1000;

function relative(ms) {
  const minutes = Math.floor(ms / MINUTE);
  if (minutes < 1) return "now";
  for (const [size, unit] of [[24 * 60, "day"], [60, "hour"], [1, "minute"]]) {
    if (minutes >= size) {
      const n = Math.floor(minutes / size);
      return `in ${n} ${unit}${n === 1 ? "" : "s"}`;
    }
  }
  return "now";
}

function tick() {
  const now = Date.now();
  if (countdown) {
    const startsAt = Date.parse(countdown.dataset.startsAt);
    if (!Number.isNaN(startsAt)) countdown.textContent = relative(startsAt - now);
  }
  if (later && open && open.hidden) {
    const opensAt = Date.parse(later.dataset.joinOpens);
    if (!Number.isNaN(opensAt) && now >= opensAt) {
      open.hidden = false;
      later.hidden = true;
    }
  }
}

if (countdown) {
  tick();
  setInterval(tick, 15 * 1000);
}
