// Preselect the visitor's own time zone in the registration form (they can still change it).
const select = document.querySelector("select[name='timezone']");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (select && zone && !document.querySelector(".field .error") &&
    [...select.options].some((o) => o.value === zone)) {
  select.value = zone;
}
