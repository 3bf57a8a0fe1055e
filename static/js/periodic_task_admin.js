// Admin "periodic task" form: show the chosen crontab in words under the field (django-celery-beat's behaviour,
// moved out of an inline script so that the Content Security Policy can forbid inline code).
"use strict";
(function () {
  const data = document.getElementById("readable-crontabs");
  const select = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) {
    return;
  }
  const readable = JSON.parse(data.textContent);
  const original = help.textContent;
  const translation = document.querySelector(".field-crontab_translation");
  if (translation) {
    translation.hidden = true;
  }
  select.addEventListener("change", function () {
    const words = readable[select.value];
    help.replaceChildren(document.createTextNode(original));
    if (words) {
      help.append(document.createElement("br"), document.createTextNode("Translation: " + words));
    }
  });
})();
