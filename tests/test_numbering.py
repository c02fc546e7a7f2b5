"""Document numbers people quote: formatted, increasing, never handed out twice."""

import pytest
from django.db import transaction

from inventory.services.numbering import next_number


@pytest.mark.django_db
def test_numbers_are_formatted_and_increase_per_kind():
    first, second = next_number("PO"), next_number("PO")
    assert first.startswith("PO-") and len(first) == len("PO-000001")
    assert int(second[3:]) == int(first[3:]) + 1
    assert next_number("GRN").startswith("GRN-")


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="Unknown document prefix 'XX'; known: PO, GRN, TO, CNT"):
        next_number("XX")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_document_does_not_give_its_number_to_the_next_one():
    with pytest.raises(RuntimeError), transaction.atomic():
        taken = next_number("TO")
        raise RuntimeError("the document failed to post")
    assert next_number("TO") != taken
