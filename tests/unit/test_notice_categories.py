"""The statutory categories of personal information (Civil Code §1798.140(v)(1), (ae))."""

from notices import categories

LETTERS_A_TO_K = list("ABCDEFGHIJK")


def test_every_letter_a_to_k_of_1798_140_v_1_is_present_exactly_once_in_order():
    letters = [category.code for category in categories.PERSONAL_INFORMATION]
    assert letters == LETTERS_A_TO_K
    for category in categories.PERSONAL_INFORMATION:
        assert category.citation == f"§1798.140(v)(1)({category.code})"
        assert not category.sensitive


def test_the_sensitive_categories_are_those_of_1798_140_ae():
    citations = [category.citation for category in categories.SENSITIVE_PERSONAL_INFORMATION]
    assert citations == [
        *(f"§1798.140(ae)(1)({letter})" for letter in "ABCDEFG"),
        *(f"§1798.140(ae)(2)({letter})" for letter in "ABC"),
    ]
    assert all(category.sensitive for category in categories.SENSITIVE_PERSONAL_INFORMATION)
    names = {category.code: category.name for category in categories.SENSITIVE_PERSONAL_INFORMATION}
    assert names["SPI-1C"] == "Precise geolocation"
    assert names["SPI-1F"] == "Genetic data"
    assert "health" in names["SPI-2B"]


def test_codes_are_unique_and_fit_the_stored_column():
    codes = [category.code for category in categories.ALL]
    assert len(codes) == len(set(codes)) == 21
    assert max(len(code) for code in codes) == categories.CODE_MAX_LENGTH


def test_statutory_names_use_the_statute_terms_1798_140_v_1():
    # §7011(e)(1)(A), R-7024-l-1: the notices use the statute's own terms.
    assert categories.category("A").name == "Identifiers"
    assert categories.category("D").name == "Commercial information"
    assert categories.category("G").name == "Geolocation data"
    assert categories.category("K").name == "Inferences drawn from other personal information"
    assert "1798.80(e)" in categories.category("B").name


def test_every_category_has_a_plain_description_for_consumers_7003_a():
    for category in categories.ALL:
        assert category.description.strip(), category.code
        assert category.description.endswith("."), category.code


def test_choices_show_the_statute_letter_and_list_pi_before_sensitive():
    choices = categories.choices()
    assert choices[0] == ("A", "A. Identifiers")
    assert choices[10][1].startswith("K. ")
    assert choices[11] == (
        "SPI-1A",
        "Sensitive (ae)(1)(A): Social security, driver's license, state identification card, "
        "or passport number",
    )
    assert [code for code, _ in choices] == [category.code for category in categories.ALL]


def test_is_sensitive_and_statute_order():
    assert not categories.is_sensitive("E")  # biometric information as such is (v)(1)(E)
    assert categories.is_sensitive("SPI-2A")  # processed to identify: (ae)(2)(A)
    assert categories.statute_order("A") < categories.statute_order("K")
    assert categories.statute_order("K") < categories.statute_order("SPI-1A")
