// Register/edit form: add guardian rows from the formset's empty form.
(function () {
  var button = document.getElementById("add-guardian");
  var template = document.getElementById("guardian-template");
  var list = document.getElementById("guardians");
  var total = document.getElementById("id_g-TOTAL_FORMS");
  var max = document.getElementById("id_g-MAX_NUM_FORMS");
  if (!button || !template || !list || !total) return;
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    list.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    if (window.htmx) window.htmx.process(list.lastElementChild);
  });
})();
