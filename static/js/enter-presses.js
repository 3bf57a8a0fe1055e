// Enter in a field marked data-enter-presses="<id>" presses that button instead of the form's first one: the
// meeting form's search box presses Find, while Enter in any other field saves (the form's first submit button).
// Not while an input method is composing (Enter then confirms the Japanese or Chinese characters typed).
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return;
  var target = event.target;
  var id = target && target.getAttribute && target.getAttribute("data-enter-presses");
  var button = id && document.getElementById(id);
  if (!button) return;
  event.preventDefault();
  button.click();
});
