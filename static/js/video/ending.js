// The end of the call: the room gives way to one next step. For the client, the check-in (or
// the journal, or home); for the therapist, the note of this session, with whether it was
// marked completed. Leaving by mistake can be undone until the session ends (a rejoin link).
const $ = (id) => document.getElementById(id);

const TEXTS = {
  therapist: {
    ended: ["The call has ended", "Your camera and microphone are off. Write the note while the session is fresh."],
    closed: ["This session's room is closed", "Your camera and microphone are off."],
  },
  client: {
    left: ["You left the call", "Your camera and microphone are off."],
    ended: ["Your session has ended", "Thank you for today. Your camera and microphone are off."],
    closed: ["This session's room is closed", "Your camera and microphone are off."],
  },
};

// `how`: "left" (we left), "ended" (the therapist ended it), "closed" (the room closed);
// `outcome`: the therapist's end answer ({ok, message}) and whether completion was asked.
export function showEndScreen(role, how, outcome = null) {
  const [title, detail] = (TEXTS[role] || TEXTS.client)[how] || TEXTS.client.ended;
  $("end-title").textContent = title;
  $("end-detail").textContent = detail;
  const result = $("end-outcome");
  if (result && outcome?.asked) {
    result.hidden = false;
    result.textContent = outcome.reply?.ok
      ? "The session is marked completed."
      : `The session is not marked completed: ${outcome.reply?.message || "no answer from the server"} You can mark it from the calendar.`;
  }
  const rejoin = $("end-rejoin");
  if (rejoin) rejoin.hidden = how !== "left";
  document.getElementById("room").dataset.state = "ended";
  const screen = $("end-screen");
  screen.hidden = false;
  screen.focus();
}
