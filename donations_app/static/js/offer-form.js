/*
 * Progressive enhancement of the donor pages. Everything works without this file:
 * - a link in the error summary opens and scrolls to its field;
 * - each item line shows only the questions its category asks;
 * - "Add another item" and "Remove" work in place instead of reloading the page;
 * - an item's guideline result appears as it is filled, from POST /api/v1/checks
 *   (the same engine and messages as the submitted offer).
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 500;
  /* The outcome labels come from the page (a JSON block the server writes from the vocabulary). */
  var labelsBlock = document.getElementById("outcome-labels");
  var LABELS = labelsBlock ? JSON.parse(labelsBlock.textContent) : {};

  /* Links in the error summary: move focus to the field, and keep its label in view. */
  function enhanceErrorLinks() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      var details = field.closest("details");
      if (details) {
        details.open = true;
      }
      var group = field.closest(".usa-form-group, fieldset") || field;
      group.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  function itemCategory(item) {
    var select = item.querySelector("select[name$='-category']");
    return select ? select.value : "";
  }

  /* Show only the questions that the chosen category asks. */
  function showCategoryFields(item) {
    var category = itemCategory(item);
    item.querySelectorAll("[data-categories]").forEach(function (group) {
      var wanted = group.getAttribute("data-categories").split(" ").indexOf(category) !== -1;
      var wrap = group.closest(".app-category-field-wrap") || group;
      wrap.hidden = !wanted;
    });
    item.querySelectorAll("[data-only-for], [data-no-js-hint]").forEach(function (hint) {
      hint.hidden = true;
    });
  }

  function fieldName(element) {
    /* items-3-quantity -> quantity; agency-name -> name */
    var parts = element.name.split("-");
    return parts[parts.length - 1];
  }

  function convert(element, value) {
    var kind = element.getAttribute("data-type");
    var text = value.trim();
    if (text === "") {
      return undefined;
    }
    if (kind === "integer") {
      var plain = text.replace(/,/g, "");
      return /^[+-]?\d+$/.test(plain) ? parseInt(plain, 10) : text;
    }
    if (kind === "decimal") {
      return text.replace(/^\$/, "").replace(/,/g, "").trim();
    }
    if (kind === "bool") {
      return text === "yes" ? true : text === "no" ? false : text;
    }
    if (kind === "list") {
      var lines = text.split(/\r?\n/).map(function (line) { return line.trim(); })
        .filter(function (line) { return line !== ""; });
      return lines.length ? lines : undefined;
    }
    return text;
  }

  /* The item line as the JSON API takes it: common fields plus its category's fields. */
  function itemBody(item) {
    var category = itemCategory(item);
    var body = {};
    var choices = {};
    item.querySelectorAll("input, select, textarea").forEach(function (element) {
      if (!element.name || element.type === "submit" || element.type === "hidden") {
        return;
      }
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) {
        return;
      }
      var group = element.closest("[data-categories]");
      if (group && group.getAttribute("data-categories").split(" ").indexOf(category) === -1) {
        return;
      }
      if (element.getAttribute("data-type") === "suggestion") {
        choices[element.getAttribute("data-target")] = element.value;
        return;
      }
      var value = convert(element, element.value);
      if (value !== undefined) {
        body[fieldName(element)] = value;
      }
    });
    Object.keys(choices).forEach(function (name) {
      if (choices[name] && choices[name] !== "other") {
        body[name] = choices[name];
      }
    });
    return body;
  }

  function sectionBody(form, prefix, names) {
    var body = {};
    names.forEach(function (name) {
      var element = form.elements[prefix + "-" + name];
      if (element && element.value.trim() !== "") {
        body[name] = element.value.trim();
      }
    });
    return body;
  }

  function offerBody(form, item) {
    var recipient = form.querySelector("input[name='recipient']:checked");
    var confirmed = form.elements.authority_confirmed;
    return {
      agency: sectionBody(form, "agency", ["name", "type", "ori", "state", "city"]),
      contact: sectionBody(form, "contact", ["name", "title", "email", "phone"]),
      recipient: recipient ? recipient.value : undefined,
      authority_confirmed: confirmed ? confirmed.checked : false,
      pickup: sectionBody(form, "pickup", ["zip", "available_from"]),
      items: [itemBody(item)]
    };
  }

  function paragraph(text, className) {
    var p = document.createElement("p");
    p.className = "margin-y-05" + (className ? " " + className : "");
    p.textContent = text;
    return p;
  }

  function showResult(region, result) {
    region.textContent = "";
    var heading = document.createElement("p");
    heading.className = "margin-y-05";
    heading.appendChild(document.createTextNode("Guideline result: "));
    var tag = document.createElement("span");
    tag.className = "usa-tag app-tag--" + result.outcome;
    tag.textContent = LABELS[result.outcome] || result.outcome;
    heading.appendChild(tag);
    region.appendChild(heading);
    /* As guidelines/advice.py: the donor reads the findings of the outcome that decided the
       item, so a refused item never shows review advice. */
    var own = result.findings.filter(function (finding) {
      return finding.outcome === result.outcome;
    });
    if (!own.length) {
      region.appendChild(paragraph("This item meets every guideline."));
      return;
    }
    var list = document.createElement("ul");
    list.className = "usa-list usa-list--unstyled";
    own.forEach(function (finding) {
      var li = document.createElement("li");
      li.className = "app-finding app-finding--" + finding.outcome;
      var message = paragraph("");
      var strong = document.createElement("strong");
      strong.textContent = finding.message;
      message.appendChild(strong);
      li.appendChild(message);
      if (finding.fix) {
        li.appendChild(paragraph("What you can do: " + finding.fix));
      }
      li.appendChild(paragraph("Guideline " + finding.rule +
        (finding.reference ? " \u00b7 " + finding.reference : ""), "font-body-2xs"));
      list.appendChild(li);
    });
    region.appendChild(list);
  }

  function showIncomplete(region, errors) {
    var itemErrors = errors && errors.items && errors.items["0"];
    var offerErrors = Object.keys(errors || {}).filter(function (key) { return key !== "items"; });
    region.textContent = "";
    if (itemErrors) {
      region.appendChild(paragraph("The guideline result appears when this item's required " +
        "answers are complete and valid."));
    } else if (offerErrors.length) {
      region.appendChild(paragraph("The guideline result appears when the agency, contact, " +
        "recipient and collection answers above are complete."));
    }
  }

  function checkItem(form, item) {
    var region = item.querySelector("[data-live-result]");
    var url = form.getAttribute("data-check-url");
    if (!region || !url || !window.fetch) {
      return;
    }
    var body = offerBody(form, item);
    if (!body.items[0].category) {
      region.textContent = "";
      return;
    }
    var sequence = (item.checkSequence || 0) + 1;
    item.checkSequence = sequence;
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        return { status: response.status, data: data };
      });
    }).then(function (answer) {
      if (item.checkSequence !== sequence) {
        return;
      }
      if (answer.status === 200 && answer.data.items && answer.data.items.length) {
        showResult(region, answer.data.items[0]);
      } else if (answer.status === 422) {
        showIncomplete(region, answer.data.errors);
      }
    }).catch(function () {
      /* The result is shown on the check-answers page anyway. */
    });
  }

  function renumber(list) {
    var items = list.querySelectorAll("[data-item]");
    items.forEach(function (item, position) {
      item.querySelectorAll("[data-item-number]").forEach(function (number) {
        number.textContent = String(position + 1);
      });
      var remove = item.querySelector("[data-remove-item]");
      if (remove) {
        remove.hidden = items.length < 2;
      }
    });
  }

  function nextIndex(list) {
    var highest = -1;
    list.querySelectorAll("[data-item]").forEach(function (item) {
      highest = Math.max(highest, parseInt(item.getAttribute("data-index"), 10));
    });
    return highest + 1;
  }

  function announce(form, text) {
    var announcer = form.querySelector("[data-item-announcer]");
    if (announcer) {
      announcer.textContent = text;
    }
  }

  function enhanceItem(form, item) {
    var timer = null;
    showCategoryFields(item);
    item.addEventListener("change", function (event) {
      if (event.target.name && /-category$/.test(event.target.name)) {
        showCategoryFields(item);
      }
    });
    var schedule = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { checkItem(form, item); }, DEBOUNCE_MS);
    };
    item.addEventListener("input", schedule);
    item.addEventListener("change", schedule);
    if (itemCategory(item)) {
      checkItem(form, item);
    }
  }

  function enhanceOfferForm(form) {
    var list = form.querySelector("[data-item-list]");
    var template = document.getElementById("item-template");
    if (!list) {
      return;
    }
    list.querySelectorAll("[data-item]").forEach(function (item) { enhanceItem(form, item); });

    /* Answers above the items (e.g. the recipient) change every item's result. */
    form.addEventListener("change", function (event) {
      if (!event.target.closest("[data-item]") && event.target.name) {
        list.querySelectorAll("[data-item]").forEach(function (item) { checkItem(form, item); });
      }
    });

    var add = form.querySelector("[data-add-item]");
    if (add && template) {
      add.addEventListener("click", function (event) {
        event.preventDefault();
        var index = nextIndex(list);
        var html = template.innerHTML.replace(/__index__/g, String(index))
          .replace(/__number__/g, "");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var item = holder.querySelector("[data-item]");
        list.appendChild(item);
        renumber(list);
        enhanceItem(form, item);
        var number = list.querySelectorAll("[data-item]").length;
        announce(form, "Item " + number + " added.");
        item.querySelector(".app-item__legend").focus();
      });
    }

    list.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-item]");
      if (!remove) {
        return;
      }
      event.preventDefault();
      var item = remove.closest("[data-item]");
      var items = Array.prototype.slice.call(list.querySelectorAll("[data-item]"));
      var position = items.indexOf(item);
      if (items.length < 2) {
        return;
      }
      item.parentNode.removeChild(item);
      renumber(list);
      announce(form, "Item " + (position + 1) + " removed.");
      var remaining = list.querySelectorAll("[data-item]");
      var target = remaining[Math.max(0, position - 1)];
      target.querySelector(".app-item__legend").focus();
    });
  }

  function enhanceInfoForm(form) {
    form.querySelectorAll("[data-item]").forEach(function (item) {
      showCategoryFields(item);
      item.addEventListener("change", function (event) {
        if (event.target.name && /-category$/.test(event.target.name)) {
          showCategoryFields(item);
        }
      });
    });
  }

  enhanceErrorLinks();
  var offerForm = document.getElementById("offer-form");
  if (offerForm) {
    enhanceOfferForm(offerForm);
  }
  var infoForm = document.getElementById("info-form");
  if (infoForm) {
    enhanceInfoForm(infoForm);
  }
})();
