/* builtin:text: short stories written for this project (no outside source), the text corpus a
 * person can train a character-level model on without a file of their own. Kept as paragraphs
 * (each under C's 4095-character literal limit) joined with blank lines. */
#include "corpus.h"

#include <stdlib.h>
#include <string.h>

/* clang-format off */
static const char *const PARAGRAPHS[] = {
    "The Fox and the Bell\n\n"
    "A fox lived at the edge of a village, near a farm with a white gate. Every night the fox came "
    "to the gate and looked at the hens, and every night the farmer rang a small bell, and the fox "
    "ran back into the forest. One night the bell did not ring. The fox waited by the gate. It "
    "waited and waited, and still the bell did not ring. \"The farmer is asleep,\" said the fox, "
    "and it opened the gate with its nose. But the hens were not asleep. They had heard the fox "
    "at the gate every night, and they had learned the sound of its feet. When the fox came in, "
    "the hens made such a noise that the farmer woke up, and the fox ran back into the forest "
    "faster than ever. The next night the bell rang again, and the fox did not come to the gate. "
    "A bell can be quiet, the fox thought, but a hen never is.",

    "The Girl Who Counted Stars\n\n"
    "There was once a girl named Mia who counted stars. She sat on the hill behind her house and "
    "counted one, two, three, four, five, until the sky was full and she lost count. Then she "
    "started again: one, two, three, four, five. Her brother Ben laughed at her. \"You will never "
    "count them all,\" he said. \"There are more stars than words in every book in the world.\" "
    "Mia said, \"I know. I do not count them to finish. I count them to see them.\" So Ben sat "
    "down on the hill beside her, and that night they counted together: one, two, three, four, "
    "five. They lost count at the same star, and they both laughed, and they started again.",

    "The River and the Stone\n\n"
    "A river ran down from the mountain to the sea. In the middle of the river lay a big stone. "
    "The water came to the stone and went around it, to the left and to the right, and met again "
    "behind it. \"Move,\" said the river. \"You are in my way.\" \"I was here first,\" said the "
    "stone. So the river went around the stone, day after day and year after year. The stone "
    "did not move, but the river did not stop. After a hundred years the stone was small and "
    "round, and after a thousand years it was sand, and the river carried the sand down to the "
    "sea. The river was patient. The stone was strong. In the end the patient one went on, and "
    "the strong one went with it.",

    "The Baker's Song\n\n"
    "In a town by the sea there was a baker who sang while she worked. She sang the same song "
    "every morning: \"Flour and water, water and flour, bread in the oven for one more hour.\" "
    "The children on the street learned the song, and they sang it on the way to school: flour "
    "and water, water and flour, bread in the oven for one more hour. One morning the baker was "
    "ill and stayed in bed. The shop was quiet, and the oven was cold. Then the children came to "
    "the door. They did not know how to make bread, but they knew the song, and they sang it "
    "under her window: flour and water, water and flour, bread in the oven for one more hour. "
    "The baker laughed in her bed, and the next day she was well again.",

    "How the Owl Learned to Wait\n\n"
    "A young owl wanted to catch a mouse. It flew over the field and saw a mouse, and it dived, "
    "but the mouse ran into the grass. It flew over the field again and saw another mouse, and "
    "it dived again, and again the mouse ran away. An old owl watched from a tree. \"You are too "
    "fast,\" said the old owl. \"A mouse hears your wings before it sees your eyes. Sit with me "
    "and wait.\" So the young owl sat in the tree and waited. The moon rose. The field was quiet. "
    "After a long time a mouse came out of the grass, and it looked left, and it looked right, "
    "and it did not look up. The young owl did not dive. It waited until the mouse was far from "
    "the grass. Then it flew down without a sound. That was the night the young owl learned that "
    "waiting is a kind of speed.",

    "The Two Letters\n\n"
    "Tom wrote a letter to his sister Anna, who lived in a city far away. He wrote: \"Dear Anna, "
    "the garden is green, the cat is fat, and the apple tree has seven apples. I miss you. Tom.\" "
    "Anna wrote back: \"Dear Tom, the city is loud, the trains are fast, and my window has seven "
    "flowers. I miss you. Anna.\" Every week they wrote, and every letter ended the same way: I "
    "miss you. When Anna came home in the summer, they sat under the apple tree and read all the "
    "letters again, his and hers, one after another, and they saw that they had written the same "
    "words again and again, and that the words had never grown old.",

    "The Lantern\n\n"
    "On a dark road a man carried a lantern. He met a woman who had no light, and he walked with "
    "her to her village. There he met a boy who had lost his way, and he walked with the boy to "
    "his house. At the house the boy's mother gave the man bread and tea, and she lit a candle "
    "from his lantern to thank him. When the man went on, the road behind him was not dark any "
    "more: there was a light in the woman's window, and a light in the boy's window, and a light "
    "in the mother's kitchen. He looked back and smiled. A lantern gives its light away, he "
    "thought, and still it is not less bright.",

    "Words That Come Back\n\n"
    "Some words come back. When a story says the name of a girl, the name comes back later in "
    "the story. When a song has a line, the line comes back at the end of the verse. A reader "
    "who has seen a word once can guess it the second time: after \"Tom wrote a letter to his "
    "sister\" comes \"Anna\", because it came there before. A small model can learn this too. "
    "It looks back through the text for the last time it saw the word in front of it, and it "
    "guesses that the word which came next then will come next again. The word in front of it, "
    "the word that came next; the word in front of it, the word that came next. That is the "
    "whole trick, and it works again and again.",
};
/* clang-format on */

ats_status ats_tr_builtin_text(char **out, size_t *len, ats_error *err) {
    size_t n = sizeof PARAGRAPHS / sizeof PARAGRAPHS[0], total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(PARAGRAPHS[i]) + 2;
    char *text = malloc(total + 1);
    if (!text)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(PARAGRAPHS[i]);
        memcpy(text + at, PARAGRAPHS[i], k);
        at += k;
        memcpy(text + at, "\n\n", 2);
        at += 2;
    }
    text[at] = '\0';
    *out = text;
    *len = at;
    return ATS_OK;
}
