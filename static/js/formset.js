// "Add a row" buttons under the formset tables (alignment/_formset_table.html): a click adds a
// copy of the formset's empty row, kept in a <template>, and counts it in TOTAL_FORMS. Without
// this script the button submits the form, and the server shows it again with one more row.
for (const button of document.querySelectorAll("button[data-add-row]")) {
  const prefix = button.dataset.addRow;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
  const template = document.getElementById(`${prefix}-empty-row`);
  const rows = document.getElementById(`${prefix}-rows`);
  button.type = "button"; // Enter in a field now saves, rather than adding a row
  button.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML
      .replaceAll("__prefix__", String(index))
      .replaceAll("__row__", String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    button.hidden = index + 1 >= Number(max.value);
    rows.lastElementChild.querySelector("input:not([type=hidden]), select, textarea").focus();
  });
}
