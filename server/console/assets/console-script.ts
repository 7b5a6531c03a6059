/**
 * The console's only script, served as /console/assets/console.js: it rewrites each `<time>` into the
 * viewer's time zone and keeps the UTC time in its title. Every page works without it.
 */
export const CONSOLE_JS = `
(function () {
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  } catch (e) { return; }
  function local() {
    var times = document.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      t.textContent = fmt.format(d);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', local); else local();
})();
`;
