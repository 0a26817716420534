/*
 * Progressive enhancement of the donor pages. Everything works without this file:
 * - a link in the error summary opens and scrolls to its field;
 * - a "Change" link of check-your-answers (/offer#<field id>) lands on its field, scrolled into
 *   view and focused, once the page has hidden the questions other categories ask;
 * - each item line shows only the questions its category asks;
 * - "Add another item" and "Remove" work in place instead of reloading the page;
 * - an item's guideline result appears as it is filled, from POST /api/v1/checks
 *   (the same engine and messages as the submitted offer). A line is checked only when it is
 *   complete enough for a result: category, description, quantity (a whole number from 1),
 *   condition and how it was acquired answered, and the agency, contact, recipient, authority
 *   and ZIP answers above given. Typing is debounced; a line whose answers are those of the
 *   result shown is not sent again; the lines of the page are checked together, in one
 *   request, when it opens and when an answer above the items changes.
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
      showField(field);
    });
  }

  /* Open the disclosure around a field, scroll its question into view and focus it. */
  function showField(field) {
    var details = field.closest("details");
    if (details) {
      details.open = true;
    }
    var group = field.closest(".usa-form-group, fieldset") || field;
    group.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }

  /* A "Change" link landed here: the field it names, once the page has its final layout. */
  function landOnHash() {
    var id = window.location.hash.slice(1);
    var field = id ? document.getElementById(decodeURIComponent(id)) : null;
    if (field && /^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName)) {
      showField(field);
    }
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
      var value = convert(element, element.value);
      if (value !== undefined) {
        body[fieldName(element)] = value;
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

  function showIncomplete(region, errors, index) {
    var itemErrors = errors && errors.items && errors.items[index];
    var offerErrors = Object.keys(errors || {}).filter(function (key) { return key !== "items"; });
    showMissing(region, itemErrors ? "item" : offerErrors.length ? "offer" : "");
  }

  var ITEM_REQUIRED = ["category", "description", "quantity", "condition", "acquired_via"];
  var OFFER_REQUIRED = [["agency", ["name", "type", "state", "city"]],
    ["contact", ["name", "email"]], ["pickup", ["zip"]]];

  /* Is the line complete enough for a guideline result? "item", "offer" (what is missing) or "". */
  function missingForCheck(body) {
    var line = body.items[0];
    var incomplete = ITEM_REQUIRED.some(function (name) { return line[name] === undefined; });
    if (incomplete || typeof line.quantity !== "number" || line.quantity < 1) {
      return "item";
    }
    var offerIncomplete = OFFER_REQUIRED.some(function (part) {
      return part[1].some(function (name) { return body[part[0]][name] === undefined; });
    });
    return offerIncomplete || !body.recipient || !body.authority_confirmed ? "offer" : "";
  }

  function showMissing(region, missing) {
    region.textContent = "";
    if (missing === "item") {
      region.appendChild(paragraph("The guideline result appears when this item's required " +
        "answers are complete and valid."));
    } else if (missing === "offer") {
      region.appendChild(paragraph("The guideline result appears when the agency, contact, " +
        "recipient and collection answers above are complete."));
    }
  }

  /* Check the given lines in one request; lines not complete enough say so and send nothing. */
  function checkItems(form, items) {
    var url = form.getAttribute("data-check-url");
    if (!url || !window.fetch) {
      return;
    }
    var body = null;
    var sent = [];
    items.forEach(function (item) {
      var region = item.querySelector("[data-live-result]");
      var one = offerBody(form, item);
      if (!region) {
        return;
      }
      item.checkSequence = (item.checkSequence || 0) + 1;
      if (!one.items[0].category) {
        region.textContent = "";
        return;
      }
      var missing = missingForCheck(one);
      if (missing) {
        item.lastChecked = null;
        showMissing(region, missing);
        return;
      }
      /* The same answers as the result shown (a blur after typing): nothing to ask. */
      var key = JSON.stringify(one);
      if (item.lastChecked === key) {
        return;
      }
      item.lastChecked = key;
      body = body || one;
      if (body !== one) {
        body.items.push(one.items[0]);
      }
      sent.push({ item: item, region: region, sequence: item.checkSequence });
    });
    if (!sent.length) {
      return;
    }
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
      sent.forEach(function (line, index) {
        if (line.item.checkSequence !== line.sequence) {
          return;
        }
        if (answer.status === 200 && answer.data.items && answer.data.items[index]) {
          showResult(line.region, answer.data.items[index]);
        } else if (answer.status === 422) {
          showIncomplete(line.region, answer.data.errors, String(index));
        }
      });
    }).catch(function () {
      /* The result is shown on the check-answers page anyway; the next edit asks again. */
      sent.forEach(function (line) { line.item.lastChecked = null; });
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
      timer = window.setTimeout(function () { checkItems(form, [item]); }, DEBOUNCE_MS);
    };
    item.addEventListener("input", schedule);
    item.addEventListener("change", schedule);
  }

  function allItems(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[data-item]"));
  }

  function enhanceOfferForm(form) {
    var list = form.querySelector("[data-item-list]");
    var template = document.getElementById("item-template");
    if (!list) {
      return;
    }
    list.querySelectorAll("[data-item]").forEach(function (item) { enhanceItem(form, item); });
    checkItems(form, allItems(list));

    /* Answers above the items (e.g. the recipient) change every item's result. */
    var offerTimer = null;
    var scheduleAll = function (event) {
      if (!event.target.closest("[data-item]") && event.target.name) {
        window.clearTimeout(offerTimer);
        offerTimer = window.setTimeout(function () { checkItems(form, allItems(list)); },
          DEBOUNCE_MS);
      }
    };
    form.addEventListener("change", scheduleAll);

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
  /* After the browser's own jump to the fragment, which would put the field at the very top. */
  if (document.readyState === "complete") {
    landOnHash();
  } else {
    window.addEventListener("load", function () { window.setTimeout(landOnHash, 0); });
  }
})();
