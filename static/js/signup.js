// Pre-select the browser's time zone so streaks follow the family's days.
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
const select = document.getElementById("id_time_zone");
if (select && tz && [...select.options].some((o) => o.value === tz)) select.value = tz;
