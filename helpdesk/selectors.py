"""Finding the help articles that answer a question.

Full text first, in the language's own configuration (English or Russian stemming), over the
generated, GIN-indexed document of each article (title, keywords, text). An article counts
only when it holds more than half of the question's meaningful words, so one common word
("account", "page") does not pass for an answer. When full text finds nothing (typos, a word
spelt another way), trigram similarity of each word to the titles and keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from .models import SEARCH_CONFIGS, HelpArticle

MAX_QUESTION_CHARS = 500
_MAX_WORDS = 12
_LIMIT = 5
#: How close a mistyped word must be to a whole word of a title or keyword (pg_trgm's
#: strict_word_similarity, 0..1).
SIMILARITY_THRESHOLD = 0.6
_WORD = re.compile(r"\w+", re.UNICODE)

# Only the document column's name is formatted in, from the constants below.
_FULL_TEXT = """
WITH query AS (
    SELECT plainto_tsquery(%(config)s::regconfig, %(question)s) AS every,
           replace(plainto_tsquery(%(config)s::regconfig, %(question)s)::text, ' & ', ' | ')
               AS any_text,
           tsvector_to_array(to_tsvector(%(config)s::regconfig, %(question)s)) AS lexemes
)
SELECT article.id,
       (SELECT count(*) FROM unnest(query.lexemes) AS lexeme
        WHERE article.{document} @@ quote_literal(lexeme)::tsquery) AS matched,
       cardinality(query.lexemes) AS total,
       ts_rank_cd(article.{document}, query.any_text::tsquery, 32)
           + CASE WHEN article.{document} @@ query.every THEN 1 ELSE 0 END AS score
FROM helpdesk_helparticle AS article, query
WHERE article.published AND query.any_text <> ''
  AND article.{document} @@ query.any_text::tsquery
ORDER BY matched DESC, score DESC, article.position, article.id
LIMIT %(limit)s
"""

_SIMILAR = """
WITH words AS (
    SELECT DISTINCT word FROM unnest(%(words)s::text[]) AS word
    WHERE numnode(plainto_tsquery(%(config)s::regconfig, word)) > 0
), pairs AS (
    SELECT article.id, article.position,
           strict_word_similarity(words.word, article.{title} || ' ' || article.keywords)
               AS similarity
    FROM helpdesk_helparticle AS article CROSS JOIN words
    WHERE article.published
)
SELECT id,
       count(*) FILTER (WHERE similarity >= %(threshold)s) AS matched,
       (SELECT count(*) FROM words) AS total,
       avg(similarity) AS score
FROM pairs
GROUP BY id, position
HAVING count(*) FILTER (WHERE similarity >= %(threshold)s) > 0
ORDER BY matched DESC, score DESC, position, id
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class ArticleHit:
    article_id: int
    matched: int  # meaningful words of the question the article holds
    total: int  # meaningful words of the question
    score: float

    @property
    def enough(self) -> bool:
        return self.total > 0 and self.matched * 2 > self.total


def _hits(sql: str, params: dict) -> list[ArticleHit]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "limit": _LIMIT})
        return [ArticleHit(row[0], int(row[1]), int(row[2]), float(row[3])) for row in cursor]


def article_search(*, question: str, language: str) -> list[ArticleHit]:
    """Published articles that answer ``question`` in ``language`` ("en" | "ru"), best first;
    only those holding more than half of the question's meaningful words."""
    question = question[:MAX_QUESTION_CHARS]
    config = SEARCH_CONFIGS[language]
    document = f"search_{language}"
    hits = _hits(_FULL_TEXT.format(document=document), {"config": config, "question": question})
    found = [hit for hit in hits if hit.enough]
    if found:
        return found
    words = [
        word
        for word in dict.fromkeys(_WORD.findall(question.casefold()))
        if len(word) >= 4 and not word.isdigit()
    ][:_MAX_WORDS]
    if not words:
        return []
    hits = _hits(
        _SIMILAR.format(title=f"title_{language}"),
        {"config": config, "words": words, "threshold": SIMILARITY_THRESHOLD},
    )
    return [hit for hit in hits if hit.enough]


def articles_by_id(ids: list[int]) -> list[HelpArticle]:
    articles = HelpArticle.objects.in_bulk(ids)
    return [articles[pk] for pk in ids if pk in articles]


def article_list() -> list[HelpArticle]:
    return list(HelpArticle.objects.filter(published=True))


# The paragraph holding the most of the question's words wins; between equals, the words
# weigh more the fewer paragraphs of the article hold them (a word on every line, like the
# article's subject, tells the paragraphs apart least); then the words standing closest.
_PARAGRAPH = """
WITH query AS (
    SELECT tsvector_to_array(to_tsvector(%(config)s::regconfig, %(question)s)) AS lexemes,
           plainto_tsquery(%(config)s::regconfig, %(question)s) AS every,
           replace(plainto_tsquery(%(config)s::regconfig, %(question)s)::text, ' & ', ' | ')
               AS any_text
), paragraph AS (
    SELECT number, to_tsvector(%(config)s::regconfig, text) AS document
    FROM unnest(%(paragraphs)s::text[]) WITH ORDINALITY AS paragraph(text, number)
), hit AS (
    SELECT paragraph.number, lexeme
    FROM paragraph, query, unnest(query.lexemes) AS lexeme
    WHERE paragraph.document @@ quote_literal(lexeme)::tsquery
), weight AS (
    SELECT lexeme, ln((SELECT count(*) FROM paragraph)::float / count(*)) + 0.1 AS weight
    FROM hit GROUP BY lexeme
)
SELECT paragraph.number - 1,
       (SELECT count(*) FROM hit WHERE hit.number = paragraph.number) AS matched,
       coalesce((SELECT sum(weight.weight) FROM hit JOIN weight USING (lexeme)
                 WHERE hit.number = paragraph.number), 0) AS score,
       ts_rank_cd(paragraph.document, query.every, 32) AS together,
       CASE WHEN query.any_text = '' THEN 0
            ELSE ts_rank_cd(paragraph.document, query.any_text::tsquery, 32) END AS anywhere
FROM paragraph, query
ORDER BY matched DESC, score DESC, together DESC, anywhere DESC, paragraph.number
LIMIT 1
"""


def paragraph_best(*, paragraphs: list[str], question: str, language: str) -> int:
    """Index of the paragraph that answers ``question`` best (0, the summary, when none
    shares a word with it)."""
    if len(paragraphs) < 2:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _PARAGRAPH,
            {
                "config": SEARCH_CONFIGS[language],
                "question": question[:MAX_QUESTION_CHARS],
                "paragraphs": paragraphs,
            },
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[1] > 0 else 0
