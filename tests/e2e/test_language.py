"""Everything in the user's language (issue 25 §3) on a phone: the list page's card shows the fixed vocabularies
translated and isolates German free text (lang="de" dir="ltr"), the count sentence takes the plural form of its
number, and Streamlit's own English labels (skip link, sidebar, multiselect buttons) are replaced."""
from __future__ import annotations

import pytest

from geo.i18n import t

from .conftest import FIRST_LOAD_MS, snap, wait_for_app, wait_until

PHONE = {"width": 390, "height": 844}

# "Westside" finds exactly one offer in the shipped data: Jugendhaus Westside (Jugendzentrum, Jugendliche, cost and
# barrier-free "unbekannt"); its plain-language text is the example of a full stop at the wrong end.
QUERY = "Westside"
EASY_TEXT = "Der Punkt auf der Karte zeigt nur ungefähr, wo das Angebot ist."
EXPECTED = {
    # count sentence as shown (Markdown bold removed), vocabulary as shown, German words that must not show
    "ar": ("تم العثور على خدمة واحدة.", ("مركز شباب", "الشباب", "لا توجد معلومات"), ("Jugendliche", "unbekannt")),
    "fa": ("1 خدمت پیدا شد.", ("مرکز جوانان", "نوجوانان", "بدون اطلاعات"), ("Jugendliche", "unbekannt")),
    "de": ("1 Angebot gefunden.", ("Jugendzentrum", "Jugendliche", "keine Angabe"),
           ("Kosten\nunbekannt", "Barrierefrei\nunbekannt", "1 Angebote")),
}
ENGLISH = ("Skip to main content", "Expand sidebar", "Collapse sidebar", "Clear all", "Select all", "Selected values",
           "Open", "Clear value", "Increment", "Decrement", "Main menu", "App pages", "Sidebar", "Link to heading")
ENGLISH_PREFIXES = ("Remove ", "Help for ", "Add: ")

ENGLISH_LEFT_JS = """([exact, prefixes]) => {
  const found = [];
  document.querySelectorAll('[aria-label], [title]').forEach(el => {
    for (const name of ['aria-label', 'title']) {
      const v = (el.getAttribute(name) || '').trim();
      if (exact.includes(v) || prefixes.some(p => v.startsWith(p))) { found.push(name + '=' + v); }
    }
  });
  document.querySelectorAll('[data-testid="stSkipToContent"], [role="option"]').forEach(el => {
    const v = el.textContent.trim();
    if (exact.includes(v) || prefixes.some(p => v.startsWith(p))) { found.push('text=' + v); }
  });
  document.querySelectorAll('[aria-live] *').forEach(el => {
    if (/options? available/.test(el.textContent)) { found.push('announcement=' + el.textContent.trim()); }
  });
  return found;
}"""


@pytest.fixture
def phone(browser, request):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="de-DE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    snap(page, request.node.name)
    context.close()
    assert errors == [], errors


def english_left(page) -> list[str]:
    return page.evaluate(ENGLISH_LEFT_JS, [list(ENGLISH), list(ENGLISH_PREFIXES)])


@pytest.mark.parametrize("lang", ["ar", "fa", "de"])
def test_list_page_card_count_and_streamlit_labels_in_the_language(phone, streamlit_server, lang):
    count_text, vocabulary, german_words = EXPECTED[lang]
    suffix = "" if lang == "de" else f"&lang={lang}"
    phone.goto(f"{streamlit_server}/angebote?q={QUERY}{suffix}")
    wait_for_app(phone)

    # the count sentence in the plural form of 1 (Arabic says "one service" in words)
    assert t("liste.anzahl", lang, n=1).replace("**", "") == count_text
    phone.locator('[data-testid="stMarkdownContainer"]').filter(has_text=count_text).first.wait_for(timeout=FIRST_LOAD_MS)

    card = phone.locator(".qk-angebot")
    card.first.wait_for(timeout=FIRST_LOAD_MS)
    wait_for_app(phone)
    assert card.count() == 1
    text = card.inner_text()
    # the vocabulary lines (Handlungsfeld · category, the fields); the German free text may say "Jugendliche"
    fields = " | ".join(card.locator(".qk-sub, .qk-felder").all_inner_texts())
    for word in vocabulary:
        assert word in fields, (word, fields)
    for word in german_words:
        assert word not in fields and word not in count_text, (word, fields)

    # the plain-language German text: its own language, isolated left to right, full stop at its end
    easy = card.locator("span").filter(has_text=EASY_TEXT)
    if lang == "de":
        assert card.locator("[lang]").count() == 0 and EASY_TEXT in text
    else:
        assert easy.count() == 1
        style = easy.evaluate("""el => ({lang: el.lang, dir: el.dir, bidi: getComputedStyle(el).unicodeBidi,
                                         direction: getComputedStyle(el).direction,
                                         page: getComputedStyle(el.closest('p')).direction})""")
        assert style == {"lang": "de", "dir": "ltr", "bidi": "isolate", "direction": "ltr", "page": "rtl"}, style
        # in the rendered line the full stop is the rightmost character of the German run, not the leftmost
        boxes = easy.evaluate("""el => {
            const node = el.firstChild, text = node.nodeValue, r = document.createRange();
            const box = i => { r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect(); };
            const stop = box(text.length - 1), ist = box(text.length - 4), first = box(0);
            return {stop: stop.left, ist: ist.left, sameLine: Math.abs(stop.top - ist.top) < 2, firstLeft: first.left};
        }""")
        assert boxes["sameLine"] and boxes["stop"] > boxes["ist"], boxes

    card.scroll_into_view_if_needed()
    snap(phone, f"language_{lang}_card")

    # Streamlit's own labels: translated (the skip link is the first thing a keyboard user meets)
    skip = phone.locator('[data-testid="stSkipToContent"]')
    wait_until(lambda: skip.text_content() == t("streamlit.zum_inhalt", lang), timeout_s=10, message="skip link")
    assert english_left(phone) == []

    # the filters in the sidebar: no English "Select all" row, translated remove buttons of the chosen fields
    phone.locator('[data-testid="stExpandSidebarButton"]').click()
    sidebar = phone.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').first.wait_for(state="visible")
    remove = t("streamlit.entfernen", lang, x=t("handlungsfeld.bildung", lang))
    wait_until(lambda: sidebar.get_by_label(remove, exact=True).count() == 1, timeout_s=10, message=remove)
    sidebar.locator('[data-testid="stMultiSelect"]').nth(1).locator("input").click()  # Zielgruppe: nothing chosen
    phone.get_by_role("option", name=t("zielgruppe.kinder", lang), exact=True).wait_for(timeout=20_000)
    # the screen-reader announcement of the open list, in the plural form of 7 (Arabic: "7 خيارات متاحة.")
    announced = t("streamlit.optionen", lang, n=7)
    wait_until(lambda: announced in phone.evaluate(
        "() => Array.from(document.querySelectorAll('[aria-live] *')).map(e => e.textContent.trim())"),
        timeout_s=10, message=announced)
    assert phone.get_by_role("option", name="Select all").count() == 0
    assert phone.get_by_role("option", name=t("streamlit.alle_auswaehlen", lang)).count() == 0
    assert english_left(phone) == []
    snap(phone, f"language_{lang}_filters")
